// Per-client sliding-window rate limits in RAGFlow's two stages (before auth, then the run quota).
// Hand-written because @fastify/rate-limit runs at most one limiter per request.
export class SlidingWindowLimiter {
  private readonly max: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly hits = new Map<string, number[]>();

  constructor(max: number, windowMs: number, now: () => number = Date.now) {
    this.max = max;
    this.windowMs = windowMs;
    this.now = now;
  }

  /** Records one request from `key`: 0 when allowed, else the milliseconds until one would be. */
  hit(key: string): number {
    const now = this.now();
    const cutoff = now - this.windowMs;
    const recent = (this.hits.get(key) ?? []).filter((t) => t > cutoff);
    if (recent.length >= this.max) {
      this.hits.set(key, recent);
      return (recent[0] as number) + this.windowMs - now;
    }
    recent.push(now);
    this.hits.set(key, recent);
    // Bound memory under address scans: drop clients with no request in the window.
    if (this.hits.size > 10_000) {
      for (const [k, times] of this.hits) if ((times.at(-1) ?? 0) <= cutoff) this.hits.delete(k);
    }
    return 0;
  }
}
