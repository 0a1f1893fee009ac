// The static policy off the event loop: a bounded pool of worker threads, each with a heap limit, and a time
// budget per check. A program too costly to check is refused, never allowed, and never stalls the caller.
// Nor does it hold up other programs' checks: the pool keeps one warm spare worker beyond its own, which takes
// the place of a worker replaced after a refused check (so no check waits for a fresh worker to start), and
// which answers waiting checks while every worker is held by a check that has run longer than SLOW_CHECK_MS.
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
  /** SPARE_START_DELAY_MS unless given (tests). */
  spareStartDelayMs?: number;
  log: Logger;
}

/**
 * A check that has run this long holds its worker past what any ordinary program of 16 KiB takes (see
 * docs/performance.md): checks waiting behind it go to the spare worker meanwhile.
 */
export const SLOW_CHECK_MS = 100;

/**
 * A new spare starts this long after the last one took a replaced worker's place: its start and warm-up (0.3-1 s
 * of CPU) would otherwise share the cores with the checks that follow at once. Not longer: the next refused
 * program should find the new spare started (docs/performance.md, "Session 9").
 */
export const SPARE_START_DELAY_MS = 300;

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
  /**
   * Set by slowTimer: the job has run SLOW_CHECK_MS. (Not a timestamp compared with the clock: a timer may fire
   * a little before its delay has passed by performance.now(), as libuv counts from its cached loop time.)
   */
  held: boolean;
  timer: NodeJS.Timeout | undefined;
  /** Fires once the job has run SLOW_CHECK_MS, to lend the spare to checks waiting behind it. */
  slowTimer: NodeJS.Timeout | undefined;
}

/** What the pool's workers are doing (a gauge for metrics, and what tests look at). */
export interface PoolWorkers {
  /** Workers that take checks: the pool's own, plus the spare while it is lent. */
  serving: number;
  /** Of those, the ones that have finished their warm-up. */
  warm: number;
  /** The spare: none while lent or until a new one starts; starting until it has warmed up. */
  spare: 'warm' | 'starting' | 'none';
}

// Same file name as this module's sibling, .ts when run from source and .js when compiled.
const WORKER_URL = new URL(`./worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export class PolicyPool {
  private readonly opts: PolicyPoolOptions;
  private readonly slots: Slot[] = [];
  /** A worker beyond the pool's own that takes no checks until it takes a replaced worker's place or is lent. */
  private spare: Slot | undefined;
  /** Starts a new spare (SPARE_START_DELAY_MS after the last one was taken). */
  private spareTimer: NodeJS.Timeout | undefined;
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;
  private readonly warmWaiters: (() => void)[] = [];

  constructor(opts: PolicyPoolOptions) {
    this.opts = opts;
    for (let i = 0; i < opts.workers; i++) this.slots.push(this.spawn());
    this.spare = this.spawn();
  }

  /** The pool as a policy function. */
  readonly check: AsyncCodePolicy = (language, source) =>
    new Promise((resolve) => {
      if (this.closed) throw new Error('policy pool is closed');
      this.queue.push({ request: { id: this.nextId++, language, source }, resolve });
      this.dispatch();
    });

  /**
   * Resolves once every worker, the spare too, has run its warm-up checks (or the pool is closed). Checks are
   * taken before, as soon as a worker has loaded its parsers; this is for whoever wants to time warm checks only.
   */
  warmedUp(): Promise<void> {
    if (this.closed || this.allWarm()) return Promise.resolve();
    const warm = new Promise<void>((resolve) => this.warmWaiters.push(resolve));
    this.keepAliveWhileStarting();
    return warm;
  }

  /** Checks waiting for a worker (a gauge for metrics). */
  get waiting(): number {
    return this.queue.length;
  }

  get workers(): PoolWorkers {
    const spare = this.spare;
    return {
      serving: this.slots.length,
      warm: this.slots.filter((slot) => slot.warm).length,
      spare: spare === undefined ? 'none' : spare.warm ? 'warm' : 'starting',
    };
  }

  private allWarm(): boolean {
    return this.slots.every((slot) => slot.warm) && (this.spare?.warm ?? this.spareTimer === undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const resolve of this.warmWaiters.splice(0)) resolve();
    for (const job of this.queue.splice(0))
      job.resolve(tooComplexVerdict('the policy checker is shutting down'));
    clearTimeout(this.spareTimer);
    const spare = this.spare;
    this.spare = undefined;
    await Promise.all([...this.slots, ...(spare ? [spare] : [])].map((slot) => this.retire(slot)));
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
    const slot: Slot = {
      worker,
      ready: false,
      warm: false,
      job: undefined,
      held: false,
      timer: undefined,
      slowTimer: undefined,
    };
    worker.on('message', (reply: CheckReply | CheckStarted | typeof READY | typeof WARM) => {
      if (reply === READY) {
        slot.ready = true;
        this.dispatch();
        return;
      }
      if (reply === WARM) {
        slot.warm = true;
        if (slot.job && !slot.timer) this.startBudget(slot);
        if (this.allWarm()) for (const resolve of this.warmWaiters.splice(0)) resolve();
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
      if (!this.closed && (this.slots.includes(slot) || this.spare === slot))
        this.replace(slot, `worker exited with code ${code}`);
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
      this.assign(slot, job);
    }
    if (this.queue.length > 0) this.lendSpare();
    else this.takeBackSpare();
    this.keepAliveWhileStarting();
  }

  private assign(slot: Slot, job: Job): void {
    slot.job = job;
    // A warm worker starts the check at once; one still warming up says when it does (CheckStarted).
    if (slot.warm) this.startBudget(slot);
    slot.worker.postMessage(job.request);
  }

  /**
   * Checks are waiting and no worker is free: if a worker's check has run SLOW_CHECK_MS, the spare serves beside
   * it until the wait is over. One spare at most: a second slow check is waited for, as without a spare.
   */
  private lendSpare(): void {
    const spare = this.spare;
    if (!spare?.ready || !this.slots.some((slot) => slot.held)) return;
    this.spare = undefined;
    this.slots.push(spare);
    const job = this.queue.shift();
    if (job) this.assign(spare, job);
  }

  /** Nothing waits: a worker beyond the pool's own goes back to being the spare (or stops, if there is one). */
  private takeBackSpare(): void {
    while (this.slots.length > this.opts.workers) {
      const idle = this.slots.findLast((slot) => !slot.job);
      if (!idle) return;
      this.slots.splice(this.slots.indexOf(idle), 1);
      const spare = this.spare;
      if (spare === undefined || (!spare.warm && idle.warm)) {
        this.spare = idle;
        if (spare) void this.retire(spare);
      } else {
        void this.retire(idle);
      }
    }
  }

  private startSpareSoon(): void {
    if (this.spare || this.spareTimer || this.closed) return;
    this.spareTimer = setTimeout(
      () => this.startSpare(),
      this.opts.spareStartDelayMs ?? SPARE_START_DELAY_MS,
    );
    this.keepAliveWhileStarting();
  }

  /** Starts a new spare now, in place of one due later. */
  private startSpare(): void {
    clearTimeout(this.spareTimer);
    this.spareTimer = undefined;
    if (!this.spare && !this.closed) this.spare = this.spawn();
    this.keepAliveWhileStarting();
  }

  /** The check's budget, from when its worker starts it. */
  private startBudget(slot: Slot): void {
    slot.timer = setTimeout(
      () => this.replace(slot, `the check took longer than ${this.opts.budgetMs} ms`),
      this.opts.budgetMs,
    );
    // Unref'd: the budget timer keeps the process alive while the check runs.
    slot.slowTimer = setTimeout(() => {
      slot.held = true;
      this.dispatch();
    }, SLOW_CHECK_MS).unref();
    this.keepAliveWhileStarting();
  }

  /**
   * Whoever waits for a worker still starting (a check), warming up (warmedUp) or finishing a warm-up check
   * before it starts a check keeps the process alive; a check's budget timer does from then on.
   */
  private keepAliveWhileStarting(): void {
    if (this.warmWaiters.length > 0) this.spareTimer?.ref();
    else this.spareTimer?.unref();
    for (const slot of this.spare ? [...this.slots, this.spare] : this.slots) {
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
    this.clearJob(slot);
    job?.resolve(verdict);
    this.dispatch();
  }

  private clearJob(slot: Slot): void {
    clearTimeout(slot.timer);
    clearTimeout(slot.slowTimer);
    slot.job = undefined;
    slot.held = false;
    slot.timer = undefined;
    slot.slowTimer = undefined;
  }

  /**
   * Refuses the slot's program, if any, and puts the spare in its place (a worker beyond the pool's own is not
   * replaced); a fresh worker becomes the spare SPARE_START_DELAY_MS later, or at once in a burst.
   */
  private replace(slot: Slot, why: string): void {
    if (slot === this.spare) {
      this.opts.log.warn({ why }, 'policy spare worker replaced');
      void this.retire(slot);
      this.spare = undefined;
      this.startSpareSoon();
      return;
    }
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    const job = slot.job;
    this.clearJob(slot);
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
    if (this.slots.length > this.opts.workers) {
      this.slots.splice(index, 1);
      this.startSpareSoon();
    } else if (this.spare) {
      this.slots[index] = this.spare;
      this.spare = undefined;
      this.startSpareSoon();
    } else {
      this.slots[index] = this.spawn();
      // No spare: the last one took a place less than SPARE_START_DELAY_MS ago. Refused programs are coming
      // in a burst, so the next spare starts now rather than after the delay.
      this.startSpare();
    }
    this.dispatch();
  }

  private async retire(slot: Slot): Promise<void> {
    slot.worker.removeAllListeners('exit');
    // Ref'd until it has stopped: an unref'd worker's terminate() keeps nothing alive, and a caller awaiting
    // close() with nothing else to wait for would see its process end mid-await.
    slot.worker.ref();
    await slot.worker.terminate().catch(() => undefined);
  }
}
