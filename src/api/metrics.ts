// Prometheus metrics of the API (GET /metrics), in a registry of its own per server.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { PolicyState } from '../policy/index.ts';

export interface ApiMetrics {
  registry: Registry;
  runs: Counter<'language' | 'outcome'>;
  latency: Histogram<'language' | 'route'>;
  rejections: Counter<'reason'>;
  stages: Histogram<'stage'>;
}

export function createMetrics(inflight: () => number, policyState?: () => PolicyState): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'coderun_api_' });
  const runs = new Counter({
    name: 'coderun_api_runs_total',
    help: 'Runs answered, by language and outcome (the RAGFlow status, or the native phase/reason).',
    labelNames: ['language', 'outcome'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'coderun_api_run_duration_seconds',
    help: 'Time from request to answer for runs that waited for their outcome.',
    labelNames: ['language', 'route'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const rejections = new Counter({
    name: 'coderun_api_rejections_total',
    help: 'Requests refused before a run was created, by reason.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const stages = new Histogram({
    name: 'coderun_api_run_stage_seconds',
    help: "The API's share of a run's latency, stage by stage (check: the static policy; create: the CodeRun create call; wait: from the create until the watch brought the outcome).",
    labelNames: ['stage'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  new Gauge({
    name: 'coderun_api_inflight_runs',
    help: 'Runs this replica is waiting on right now.',
    registers: [registry],
    collect() {
      this.set(inflight());
    },
  });
  if (policyState) policyGauges(registry, policyState);
  return { registry, runs, latency, rejections, stages };
}

/** The static policy's worker pool: whether checks wait, and whether its workers (and its spare) are warm. */
function policyGauges(registry: Registry, state: () => PolicyState): void {
  new Gauge({
    name: 'coderun_api_policy_checks_waiting',
    help: 'Policy checks waiting for a worker right now.',
    registers: [registry],
    collect() {
      this.set(state().waiting);
    },
  });
  new Gauge({
    name: 'coderun_api_policy_workers',
    help: "The policy's worker threads by role (serving: taking checks; spare: kept for a replaced or held worker) and state (warm, or starting).",
    labelNames: ['role', 'state'] as const,
    registers: [registry],
    collect() {
      const { serving, warm, spare } = state();
      this.set({ role: 'serving', state: 'warm' }, warm);
      this.set({ role: 'serving', state: 'starting' }, serving - warm);
      this.set({ role: 'spare', state: 'warm' }, spare === 'warm' ? 1 : 0);
      this.set({ role: 'spare', state: 'starting' }, spare === 'starting' ? 1 : 0);
    },
  });
}
