// Per-key sliding-window rate limits (the failed-authentication budget per client address, the run quota per
// token). Hand-written because @fastify/rate-limit runs at most one limiter per request.
export class SlidingWindowLimiter {
  private readonly max: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  /** Per key, the times of its recent hits in ascending order. */
  private readonly hits = new Map<string, number[]>();

  constructor(max: number, windowMs: number, now: () => number = Date.now) {
    this.max = max;
    this.windowMs = windowMs;
    this.now = now;
  }

  /** The milliseconds until `key` may hit again (0: now), without recording anything. */
  peek(key: string): number {
    const now = this.now();
    const recent = this.recent(key, now);
    return recent.length >= this.max ? (recent[0] as number) + this.windowMs - now : 0;
  }

  /** Records one hit by `key`: 0 when allowed, else the milliseconds until one would be (not recorded). */
  hit(key: string): number {
    const now = this.now();
    const recent = this.recent(key, now);
    if (recent.length >= this.max) return (recent[0] as number) + this.windowMs - now;
    recent.push(now);
    this.hits.set(key, recent);
    // Bound memory under address scans: drop keys with no hit in the window.
    if (this.hits.size > 10_000) {
      for (const [k, times] of this.hits) if ((times.at(-1) ?? 0) <= now - this.windowMs) this.hits.delete(k);
    }
    return 0;
  }

  /** The key's hits inside the window; older ones are dropped from the front (times only grow). */
  private recent(key: string, now: number): number[] {
    const times = this.hits.get(key) ?? [];
    const cutoff = now - this.windowMs;
    let expired = 0;
    while (expired < times.length && (times[expired] as number) <= cutoff) expired++;
    if (expired) times.splice(0, expired);
    return times;
  }
}
