// A keyed work queue in client-go's shape: a key is never processed twice at once, and a key added while
// it is being processed runs once more afterwards. Delayed adds keep only the earliest deadline.
export type Handler = (key: string) => Promise<void>;

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly handler: Handler;
  private readonly concurrency: number;
  private running = 0;
  private stopped = false;
  /** Keys are taken but not processed until released (the caches a handler reads are still filling). */
  private held: boolean;
  private idleWaiters: (() => void)[] = [];

  constructor(handler: Handler, concurrency: number, opts: { held?: boolean } = {}) {
    this.handler = handler;
    this.concurrency = concurrency;
    this.held = opts.held ?? false;
  }

  /** Starts processing what a held queue has taken so far, and everything after. */
  release(): void {
    this.held = false;
    this.pump();
  }

  /** Keys waiting to be processed now (not those being processed or delayed). */
  get depth(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    const at = Date.now() + Math.max(0, delayMs);
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    // Timers longer than ~24 days overflow; a resync re-arms such keys long before that.
    const timer = setTimeout(
      () => {
        this.timers.delete(key);
        this.add(key);
      },
      Math.min(delayMs, 2 ** 31 - 1),
    );
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  stop(): void {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
  }

  /** Resolves when nothing is queued or running (tests and graceful shutdown). */
  async idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (!this.held && this.running < this.concurrency && this.queue.length > 0) {
      const key = this.queue.shift() as string;
      this.queued.delete(key);
      this.active.add(key);
      this.running++;
      void this.handler(key).finally(() => {
        this.active.delete(key);
        this.running--;
        if (this.dirty.delete(key)) this.add(key);
        this.pump();
        if (this.running === 0 && this.queue.length === 0) {
          for (const resolve of this.idleWaiters.splice(0)) resolve();
        }
      });
    }
  }
}
