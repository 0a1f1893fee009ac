// The static policy off the event loop: a bounded pool of worker threads, each with a heap limit, and a time
// budget per check. A program too costly to check is refused, never allowed, and never stalls the caller.
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import {
  type AsyncCodePolicy,
  type ExtraModules,
  type PolicyProfile,
  type PolicyVerdict,
  tooComplexVerdict,
} from './types.ts';
import {
  type CheckReply,
  type CheckRequest,
  type CheckStarted,
  READY,
  WARM,
  type WorkerData,
} from './worker.ts';

export interface PolicyPoolOptions {
  profile: PolicyProfile;
  /** Worker threads; checks beyond this many wait in order. */
  workers: number;
  /** Wall-clock budget of one check once a worker has it; past it the worker is replaced. */
  budgetMs: number;
  /** V8 old-generation limit of each worker; a check that needs more is refused. */
  heapMb: number;
  /** Modules the strict profile allows besides its own lists. */
  extraModules?: ExtraModules;
  log: Logger;
}

interface Job {
  request: CheckRequest;
  resolve: (verdict: PolicyVerdict) => void;
}

interface Slot {
  worker: Worker;
  /** Set once the worker has loaded its parsers: a starting worker's time is not charged to a program. */
  ready: boolean;
  /** Set once the worker has run its warm-up checks: from then on its checks run at full speed. */
  warm: boolean;
  job: Job | undefined;
  timer: NodeJS.Timeout | undefined;
}

// Same file name as this module's sibling, .ts when run from source and .js when compiled.
const WORKER_URL = new URL(`./worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export class PolicyPool {
  private readonly opts: PolicyPoolOptions;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;
  private readonly warmWaiters: (() => void)[] = [];

  constructor(opts: PolicyPoolOptions) {
    this.opts = opts;
    for (let i = 0; i < opts.workers; i++) this.slots.push(this.spawn());
  }

  /** The pool as a policy function. */
  readonly check: AsyncCodePolicy = (language, source) =>
    new Promise((resolve) => {
      if (this.closed) throw new Error('policy pool is closed');
      this.queue.push({ request: { id: this.nextId++, language, source }, resolve });
      this.dispatch();
    });

  /**
   * Resolves once every worker has run its warm-up checks (or the pool is closed). Checks are taken before, as
   * soon as a worker has loaded its parsers; this is for whoever wants to time warm checks only.
   */
  warmedUp(): Promise<void> {
    if (this.closed || this.slots.every((slot) => slot.warm)) return Promise.resolve();
    const warm = new Promise<void>((resolve) => this.warmWaiters.push(resolve));
    this.keepAliveWhileStarting();
    return warm;
  }

  /** Checks waiting for a worker (a gauge for metrics). */
  get waiting(): number {
    return this.queue.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const resolve of this.warmWaiters.splice(0)) resolve();
    for (const job of this.queue.splice(0))
      job.resolve(tooComplexVerdict('the policy checker is shutting down'));
    await Promise.all(this.slots.map((slot) => this.retire(slot)));
  }

  private spawn(): Slot {
    const { profile, budgetMs, extraModules } = this.opts;
    const data: WorkerData = { profile, budgetMs, extraModules };
    const worker = new Worker(WORKER_URL, {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: this.opts.heapMb, maxYoungGenerationSizeMb: 32 },
      stdout: false,
      stderr: false,
    });
    const slot: Slot = { worker, ready: false, warm: false, job: undefined, timer: undefined };
    worker.on('message', (reply: CheckReply | CheckStarted | typeof READY | typeof WARM) => {
      if (reply === READY) {
        slot.ready = true;
        this.dispatch();
        return;
      }
      if (reply === WARM) {
        slot.warm = true;
        if (slot.job && !slot.timer) this.startBudget(slot);
        if (this.slots.every((other) => other.warm))
          for (const resolve of this.warmWaiters.splice(0)) resolve();
        this.keepAliveWhileStarting();
        return;
      }
      if ('started' in reply) {
        if (slot.job?.request.id === reply.started && !slot.timer) this.startBudget(slot);
        return;
      }
      const job = slot.job;
      if (!job || job.request.id !== reply.id) return;
      this.finish(slot, reply.verdict);
    });
    // A worker over its heap limit (ERR_WORKER_OUT_OF_MEMORY) or broken in any other way: refuse its
    // program and start a fresh one.
    worker.on('error', (err: Error & { code?: string }) =>
      this.replace(
        slot,
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `the check needed more than ${this.opts.heapMb} MiB of memory`
          : `the checker failed: ${err.message}`,
      ),
    );
    worker.on('exit', (code) => {
      if (!this.closed && this.slots.includes(slot)) this.replace(slot, `worker exited with code ${code}`);
    });
    // After the listeners: adding a 'message' listener refs the worker's port again, and an idle pool must
    // not keep its process alive.
    worker.unref();
    return slot;
  }

  private dispatch(): void {
    // Warm workers first: a worker still warming up (a pool's start, a replacement) runs a 16 KiB check at two
    // to five times its warm cost, so it takes a check only while every warm worker is busy.
    const free = this.slots.filter((slot) => !slot.job && slot.ready);
    for (const slot of [...free.filter((s) => s.warm), ...free.filter((s) => !s.warm)]) {
      const job = this.queue.shift();
      if (!job) break;
      slot.job = job;
      // A warm worker starts the check at once; one still warming up says when it does (CheckStarted).
      if (slot.warm) this.startBudget(slot);
      slot.worker.postMessage(job.request);
    }
    this.keepAliveWhileStarting();
  }

  /** The check's budget, from when its worker starts it. */
  private startBudget(slot: Slot): void {
    slot.timer = setTimeout(
      () => this.replace(slot, `the check took longer than ${this.opts.budgetMs} ms`),
      this.opts.budgetMs,
    );
    this.keepAliveWhileStarting();
  }

  /**
   * Whoever waits for a worker still starting (a check), warming up (warmedUp) or finishing a warm-up check
   * before it starts a check keeps the process alive; a check's budget timer does from then on.
   */
  private keepAliveWhileStarting(): void {
    for (const slot of this.slots) {
      const awaited =
        (!slot.ready && this.queue.length > 0) ||
        (!slot.warm && this.warmWaiters.length > 0) ||
        (slot.job !== undefined && slot.timer === undefined);
      if (awaited) slot.worker.ref();
      else slot.worker.unref();
    }
  }

  private finish(slot: Slot, verdict: PolicyVerdict): void {
    const job = slot.job;
    clearTimeout(slot.timer);
    slot.job = undefined;
    slot.timer = undefined;
    job?.resolve(verdict);
    this.dispatch();
  }

  /** Refuses the slot's program, if any, and puts a fresh worker in its place. */
  private replace(slot: Slot, why: string): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    const job = slot.job;
    clearTimeout(slot.timer);
    slot.job = undefined;
    if (job) {
      this.opts.log.warn(
        { language: job.request.language, bytes: job.request.source.length, why },
        'policy check refused a program it could not finish',
      );
      job.resolve(tooComplexVerdict(why));
    } else if (!this.closed) {
      this.opts.log.warn({ why }, 'policy worker replaced');
      // A worker that fails while starting answers the oldest waiting check, so none waits on a broken checker.
      if (!slot.ready) this.queue.shift()?.resolve(tooComplexVerdict(why));
    }
    void this.retire(slot);
    if (this.closed) {
      this.slots.splice(index, 1);
      return;
    }
    this.slots[index] = this.spawn();
    this.dispatch();
  }

  private async retire(slot: Slot): Promise<void> {
    slot.worker.removeAllListeners('exit');
    await slot.worker.terminate().catch(() => undefined);
  }
}
