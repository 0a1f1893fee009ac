// Prometheus metrics of the API (GET /metrics), in a registry of its own per server.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { PolicyState } from '../policy/index.ts';
import { registerPolicyGauges } from '../policy/metrics.ts';

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
  if (policyState) registerPolicyGauges(registry, 'coderun_api_', policyState);
  return { registry, runs, latency, rejections, stages };
}
