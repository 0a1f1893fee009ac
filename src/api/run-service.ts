// Submitting a program: policy, bounded concurrency, create the CodeRun, wait for it, and never leave a
// sandbox running for a caller that went away.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { CodeRunClient } from '../coderun/client.ts';
import type { PolicyLanguage } from '../coderun/sandbox-runtime.ts';
import type { CodeRun } from '../coderun/schema.ts';
import type { ApiConfig } from '../config/api.ts';
import { isNotFound, isQuotaExceeded, isQuotaPending } from '../kube/client.ts';
import { createPatiently } from '../kube/patient-create.ts';
import type { AsyncCodePolicy, PolicyFinding } from '../policy/types.ts';
import type { RunWatcher } from './run-watcher.ts';

/** How long a create waits for a quota the kube-controller-manager has not counted yet. */
const QUOTA_PENDING_WAIT_MS = 30_000;

const ALLOWED = { allowed: true, findings: [] };

export const ORIGIN_LABEL = 'coderun.dev/origin';
export const REPLICA_LABEL = 'coderun.dev/api-replica';

export interface Submission {
  /** The runtime's name (the API resolved any alias). */
  language: string;
  /** Its runtime's static policy; null: the program is not checked. */
  policy: PolicyLanguage | null;
  source: string;
  arguments: Record<string, unknown>;
  timeoutSeconds?: number;
  /** How long the finished run stays; CODERUN_TTL_SECONDS_AFTER_FINISHED when not given. */
  ttlSecondsAfterFinished?: number;
}

/**
 * How long a caller waits for its run, and whose the run is:
 * - `outcome` (POST /run): the outcome is the answer, so the run is the request's. It waits up to the
 *   timeout + CODERUN_START_BUDGET in an in-flight slot; a run nobody waits for any more (the caller left,
 *   the budget ran out, shutdown) is deleted, and a finished one is kept only CODERUN_ANSWERED_RUN_TTL.
 * - `deadline` (POST /v1/runs?wait=N): at most `ms` (0: not at all). The run outlives the request, so
 *   the slot covers only the policy check, and a run still going when the wait ends is left running.
 */
export type Wait = { until: 'outcome' } | { until: 'deadline'; ms: number };

export type SubmitOutcome =
  | { kind: 'finished'; run: CodeRun }
  | { kind: 'rejected'; findings: PolicyFinding[] }
  /** At this replica's in-flight bound, or the namespace's CodeRun quota is full (or not counted yet). */
  | { kind: 'busy'; why: 'inflight' | 'quota' | 'quota-pending' }
  /** `deadline` only: the wait ended first (or there was none); the run as created, still going. */
  | { kind: 'unfinished'; run: CodeRun }
  /** `outcome` only: the caller left or the wait budget ran out; the run was deleted. `started` tells whether it ran. */
  | { kind: 'cancelled'; why: 'disconnected' | 'deadline' | 'shutdown'; started: boolean }
  /** `outcome` only: someone else deleted the run before it finished. */
  | { kind: 'vanished' };

export function newRunName(): string {
  return `run-${randomBytes(6).toString('hex')}`;
}

export function replicaSelector(replica: string): string {
  return `${ORIGIN_LABEL}=api,${REPLICA_LABEL}=${replica}`;
}

/** What the routes need from the run service (a narrow seam for route tests). */
export type RunServiceSeam = Pick<RunService, 'inFlight' | 'submit' | 'get' | 'delete'>;

/** The stages of a submission the API times (coderun_api_run_stage_seconds). */
export type ApiStage = 'check' | 'create' | 'wait';

export class RunService {
  private readonly config: ApiConfig;
  private readonly runs: CodeRunClient;
  private readonly watcher: RunWatcher;
  private readonly policy: AsyncCodePolicy;
  private readonly log: Logger;
  private readonly stageDone: (stage: ApiStage, seconds: number) => void;
  private inflight = 0;
  private readonly shutdown = new AbortController();

  constructor(opts: {
    config: ApiConfig;
    runs: CodeRunClient;
    watcher: RunWatcher;
    policy: AsyncCodePolicy;
    log: Logger;
    /** Told how long each stage of a submission took. */
    stageDone?: (stage: ApiStage, seconds: number) => void;
  }) {
    this.stageDone = opts.stageDone ?? (() => {});
    this.config = opts.config;
    this.runs = opts.runs;
    this.watcher = opts.watcher;
    this.policy = opts.policy;
    this.log = opts.log.child({ component: 'runs' });
  }

  get inFlight(): number {
    return this.inflight;
  }

  /** Refuse further work and cancel what is still waiting (after the shutdown grace period). */
  cancelAll(): void {
    this.shutdown.abort();
  }

  private acquire(): boolean {
    if (this.inflight >= this.config.maxInflight || this.shutdown.signal.aborted) return false;
    this.inflight++;
    return true;
  }

  /**
   * Creates the run under `name` (from newRunName, so a waiter can be registered first). A quota not
   * counted yet (a release installed moments ago) is waited out up to QUOTA_PENDING_WAIT_MS, past it the
   * refusal is thrown (429); a lost race on the quota's usage is tried again at once (createPatiently).
   */
  async create(sub: Submission, name: string, signal?: AbortSignal): Promise<CodeRun> {
    let warned = false;
    const run = await createPatiently(
      () =>
        this.runs.create({
          namespace: this.config.namespace,
          name,
          labels: { [ORIGIN_LABEL]: 'api', [REPLICA_LABEL]: this.config.replica },
          spec: this.specFor(sub),
        }),
      {
        maxWaitMs: QUOTA_PENDING_WAIT_MS,
        maxDelayMs: 2000,
        signal,
        onWait: (err) => {
          if (warned || !isQuotaPending(err)) return;
          warned = true;
          this.log.warn({ err: String(err) }, 'the CodeRun quota is not counted yet; waiting');
        },
      },
    );
    this.watcher.markCreated(name);
    return run;
  }

  get(name: string): Promise<CodeRun> {
    return this.runs.get(this.config.namespace, name);
  }

  delete(name: string): Promise<void> {
    return this.runs.delete(this.config.namespace, name);
  }

  /**
   * The one way a program becomes a run, for both APIs: an in-flight slot (else busy), the policy check,
   * the create, the wait `wait` asks for. `signal` aborts when the caller disconnects.
   */
  async submit(sub: Submission, wait: Wait, signal: AbortSignal): Promise<SubmitOutcome> {
    if (!this.acquire()) return { kind: 'busy', why: 'inflight' };
    let held = true;
    const release = () => {
      if (held) this.inflight--;
      held = false;
    };
    try {
      const checking = performance.now();
      const verdict = sub.policy ? await this.policy(sub.policy, sub.source) : ALLOWED;
      this.stageDone('check', (performance.now() - checking) / 1000);
      if (!verdict.allowed) return { kind: 'rejected', findings: verdict.findings };
      if (wait.until === 'deadline') {
        release();
        return await this.createAndWait(sub, wait, signal);
      }
      // The caller gets the whole answer; the object only needs to outlive a look with kubectl.
      const ttlSecondsAfterFinished = sub.ttlSecondsAfterFinished ?? this.config.answeredRunTtlSeconds;
      return await this.createAndWait({ ...sub, ttlSecondsAfterFinished }, wait, signal);
    } finally {
      release();
    }
  }

  private specFor(sub: Submission) {
    const timeout = Math.min(
      sub.timeoutSeconds ?? this.config.defaultTimeoutSeconds,
      this.config.maxTimeoutSeconds,
    );
    return {
      language: sub.language,
      source: sub.source,
      arguments: sub.arguments,
      timeoutSeconds: timeout,
      ttlSecondsAfterFinished: sub.ttlSecondsAfterFinished ?? this.config.ttlSecondsAfterFinished,
    };
  }

  private async createAndWait(sub: Submission, wait: Wait, signal: AbortSignal): Promise<SubmitOutcome> {
    const name = newRunName();
    const answered = wait.until === 'outcome';
    const budgetMs = answered
      ? (this.specFor(sub).timeoutSeconds + this.config.startBudgetSeconds) * 1000
      : wait.ms;
    const stop = AbortSignal.any([
      signal,
      AbortSignal.timeout(budgetMs),
      ...(answered ? [this.shutdown.signal] : []),
    ]);
    // Register first: the run may finish before `create` returns.
    const finished = budgetMs > 0 ? this.watcher.wait(name, stop) : null;
    let created: CodeRun;
    const creating = performance.now();
    try {
      created = await this.create(sub, name, stop);
    } catch (err) {
      this.watcher.forget(name);
      // The namespace holds as many runs as its quota allows (docs/scale.md), or its quota is still not
      // counted: busy, try again shortly.
      if (isQuotaExceeded(err) || isQuotaPending(err)) {
        this.log.warn({ err: String(err) }, 'run refused by the CodeRun quota');
        return { kind: 'busy', why: isQuotaPending(err) ? 'quota-pending' : 'quota' };
      }
      throw err;
    }
    const waiting = performance.now();
    this.stageDone('create', (waiting - creating) / 1000);
    const run = finished && (await finished);
    if (run) {
      this.stageDone('wait', (performance.now() - waiting) / 1000);
      return { kind: 'finished', run };
    }
    if (!answered) return { kind: 'unfinished', run: created };
    if (!stop.aborted) return { kind: 'vanished' };
    const why = signal.aborted ? 'disconnected' : this.shutdown.signal.aborted ? 'shutdown' : 'deadline';
    const started = await this.cancel(name);
    this.log.info({ run: name, why }, 'cancelled run');
    return { kind: 'cancelled', why, started };
  }

  /** Deletes the run (its Pod follows by garbage collection); tells whether it had started. */
  private async cancel(name: string): Promise<boolean> {
    let started = false;
    try {
      const run = await this.runs.get(this.config.namespace, name);
      started = run.status?.phase === 'Running';
      await this.runs.delete(this.config.namespace, name);
    } catch (err) {
      if (!isNotFound(err)) this.log.warn({ run: name, err: String(err) }, 'could not cancel run');
    }
    return started;
  }
}
