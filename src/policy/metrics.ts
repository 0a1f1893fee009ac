// The static policy's worker pool as Prometheus gauges, read at scrape time: whether checks wait for a worker,
// and whether the pool's workers (and its spare) are warm. The API and the controller each register them under
// their own prefix.
import { Gauge, type Registry } from 'prom-client';
import type { PolicyState } from './index.ts';

export function registerPolicyGauges(registry: Registry, prefix: string, state: () => PolicyState): void {
  new Gauge({
    name: `${prefix}policy_checks_waiting`,
    help: 'Policy checks waiting for a worker right now.',
    registers: [registry],
    collect() {
      this.set(state().waiting);
    },
  });
  new Gauge({
    name: `${prefix}policy_workers`,
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
