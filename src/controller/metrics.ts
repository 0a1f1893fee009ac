// Prometheus metrics of the controller (GET /metrics on its health port), in a registry of its own per
// controller. The controller calls the named functions below; gauges read their sources at scrape time.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { SandboxPool } from '../coderun/sandbox-pool.ts';
import type { CodeRunStatus } from '../coderun/schema.ts';
import { NO_POLICY_WORKERS, type PolicyState } from '../policy/index.ts';
import { registerPolicyGauges } from '../policy/metrics.ts';
import { type Sandbox, STAGES, type Stage } from './run-timeline.ts';

export type ReconcileKind = 'run' | 'pool';

/** Where the gauges read their values when Prometheus scrapes. */
export interface MetricSources {
  queueDepth: () => number;
  pools: () => readonly SandboxPool[];
  isLeader: () => boolean;
  /** The static policy's worker pool. */
  policy: () => PolicyState;
}

const START_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120];

export class ControllerMetrics {
  readonly registry = new Registry();
  private sources: MetricSources = {
    queueDepth: () => 0,
    pools: () => [],
    isLeader: () => false,
    policy: () => NO_POLICY_WORKERS,
  };
  private readonly reconcileSeconds: Histogram<'kind'>;
  private readonly reconcileErrors: Counter<'kind'>;
  private readonly podStartSeconds: Histogram;
  private readonly jobDeliverySeconds: Histogram<'sandbox'>;
  private readonly runs: Counter<'language' | 'phase' | 'reason' | 'sandbox'>;
  private readonly attachFailures: Counter;
  private readonly runStageSeconds: Histogram<'sandbox' | 'stage'>;

  constructor() {
    const registers = [this.registry];
    const sources = () => this.sources;
    collectDefaultMetrics({ register: this.registry, prefix: 'coderun_controller_' });
    this.reconcileSeconds = new Histogram({
      name: 'coderun_controller_reconcile_duration_seconds',
      help: 'Time one reconcile took, by kind (run: a CodeRun, pool: a SandboxPool).',
      labelNames: ['kind'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'coderun_controller_reconcile_errors_total',
      help: 'Reconciles that failed and were retried with backoff, by kind.',
      labelNames: ['kind'] as const,
      registers,
    });
    this.podStartSeconds = new Histogram({
      name: 'coderun_controller_pod_start_seconds',
      help: 'Cold sandbox Pods: time from the create call until the controller saw the runner running.',
      buckets: START_BUCKETS,
      registers,
    });
    this.jobDeliverySeconds = new Histogram({
      name: 'coderun_controller_job_delivery_seconds',
      help: 'Time from the Pod create (cold) or the claim of a pool Pod (warm) until the attach that carries the job was open.',
      labelNames: ['sandbox'] as const,
      buckets: START_BUCKETS,
      registers,
    });
    this.runs = new Counter({
      name: 'coderun_controller_runs_finished_total',
      help: 'Runs the controller finished, by language, phase, reason and sandbox (warm, cold, or none when no Pod ran).',
      labelNames: ['language', 'phase', 'reason', 'sandbox'] as const,
      registers,
    });
    this.attachFailures = new Counter({
      name: 'coderun_controller_attach_failures_total',
      help: 'Attach sessions to a sandbox Pod that failed (each is retried a few times, then the Pod log is read).',
      registers,
    });
    this.runStageSeconds = new Histogram({
      name: 'coderun_controller_run_stage_seconds',
      help: `The controller's share of a finished run's latency, stage by stage (${STAGES.map((s) => `${s.stage}: ${s.help}`).join('; ')}), by sandbox.`,
      labelNames: ['sandbox', 'stage'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    new Gauge({
      name: 'coderun_controller_workqueue_depth',
      help: 'Keys waiting in the work queue for a reconcile (not counting those being reconciled or delayed).',
      registers,
      collect() {
        this.set(sources().queueDepth());
      },
    });
    new Gauge({
      name: 'coderun_controller_leader',
      help: '1 while this replica holds the Lease and reconciles, 0 while it stands by.',
      registers,
      collect() {
        this.set(sources().isLeader() ? 1 : 0);
      },
    });
    registerPolicyGauges(this.registry, 'coderun_controller_', () => sources().policy());
    const poolGauge = (name: string, help: string, value: (pool: SandboxPool) => number | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: ['namespace', 'pool'] as const,
        registers,
        collect() {
          // Pools come and go; only the ones that exist now are reported.
          this.reset();
          for (const pool of sources().pools())
            this.set({ namespace: pool.metadata.namespace, pool: pool.metadata.name }, value(pool) ?? 0);
        },
      });
    poolGauge(
      'coderun_controller_pool_idle_pods',
      "Idle Pods of each SandboxPool, ready or starting (its status.replicas); only the leader's view.",
      (p) => p.status?.replicas,
    );
    poolGauge(
      'coderun_controller_pool_ready_pods',
      'Idle Pods of each SandboxPool ready to be claimed (status.readyReplicas).',
      (p) => p.status?.readyReplicas,
    );
    poolGauge(
      'coderun_controller_pool_claimed_pods',
      'Pods of each SandboxPool claimed by runs that are still live (status.claimed).',
      (p) => p.status?.claimed,
    );
  }

  /** Sets where the gauges read from; sources not given keep what they had. */
  observe(sources: Partial<MetricSources>): void {
    this.sources = { ...this.sources, ...sources };
  }

  /** Starts timing one reconcile; call the returned function when it ends. */
  reconcileStarted(kind: ReconcileKind): () => void {
    return this.reconcileSeconds.startTimer({ kind });
  }

  /** A reconcile failed and will be retried with backoff. */
  reconcileFailed(kind: ReconcileKind): void {
    this.reconcileErrors.inc({ kind });
  }

  /** A cold Pod this process created was seen running. */
  podStarted(seconds: number): void {
    this.podStartSeconds.observe(seconds);
  }

  /** The attach carrying a run's job opened, this long after its Pod was created (cold) or claimed (warm). */
  jobDelivered(sandbox: Sandbox, seconds: number): void {
    this.jobDeliverySeconds.observe({ sandbox }, seconds);
  }

  /** The stages of a run this process drove from start to finish (run-timeline.ts). */
  runStages(sandbox: Sandbox | undefined, stages: readonly { stage: Stage; seconds: number }[]): void {
    for (const { stage, seconds } of stages)
      this.runStageSeconds.observe({ sandbox: sandbox ?? 'none', stage }, seconds);
  }

  /** A run reached a terminal phase (counted once, when the controller writes that phase). */
  runFinished(language: string, status: CodeRunStatus): void {
    this.runs.inc({
      language,
      phase: status.phase ?? 'Unknown',
      reason: status.reason ?? 'Unknown',
      sandbox: status.sandbox ?? 'none',
    });
  }

  attachFailed(): void {
    this.attachFailures.inc();
  }
}
