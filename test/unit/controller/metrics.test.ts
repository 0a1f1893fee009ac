// The controller's metrics module: what each named function counts, and what the gauges read at scrape time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SandboxPool, SandboxPoolStatus } from '../../../src/coderun/sandbox-pool.ts';
import { ControllerMetrics } from '../../../src/controller/metrics.ts';

type Labels = Record<string, string>;

/** The value of one series (a histogram's by its _count or _sum), or undefined when it is not exported. */
async function value(
  metrics: ControllerMetrics,
  name: string,
  labels: Labels = {},
): Promise<number | undefined> {
  const family = name.replace(/_(count|sum)$/, '');
  const metric = metrics.registry.getSingleMetric(family);
  if (!metric) throw new Error(`no metric ${family}`);
  const { values } = await metric.get();
  const matches = values.filter((v) => {
    const keys = Object.keys(v.labels);
    return (
      ((v as { metricName?: string }).metricName ?? family) === name &&
      keys.length === Object.keys(labels).length &&
      keys.every((k) => String(v.labels[k]) === labels[k])
    );
  });
  if (matches.length > 1)
    throw new Error(`${name} ${JSON.stringify(labels)} matches ${matches.length} series`);
  return matches[0]?.value;
}

function pool(name: string, status?: SandboxPoolStatus): SandboxPool {
  return {
    apiVersion: 'coderun.dev/v1alpha1',
    kind: 'SandboxPool',
    metadata: { name, namespace: 'sandbox', uid: `pool-${name}` },
    spec: { language: 'python', replicas: 2, maxIdleSeconds: 3600 },
    ...(status ? { status } : {}),
  };
}

test('a finished run is counted by language, phase, reason and sandbox', async () => {
  const m = new ControllerMetrics();
  m.runFinished('python', { phase: 'Succeeded', reason: 'Completed', sandbox: 'warm' });
  m.runFinished('python', { phase: 'Succeeded', reason: 'Completed', sandbox: 'warm' });
  m.runFinished('nodejs', { phase: 'Failed', reason: 'TimedOut', sandbox: 'cold' });
  const series = { language: 'python', phase: 'Succeeded', reason: 'Completed', sandbox: 'warm' };
  assert.is(await value(m, 'coderun_controller_runs_finished_total', series), 2);
  assert.is(
    await value(m, 'coderun_controller_runs_finished_total', {
      language: 'nodejs',
      phase: 'Failed',
      reason: 'TimedOut',
      sandbox: 'cold',
    }),
    1,
  );
});

test('a run that never had a sandbox (refused by the policy) is counted with sandbox "none"', async () => {
  const m = new ControllerMetrics();
  m.runFinished('python', { phase: 'Failed', reason: 'PolicyRejected' });
  assert.is(
    await value(m, 'coderun_controller_runs_finished_total', {
      language: 'python',
      phase: 'Failed',
      reason: 'PolicyRejected',
      sandbox: 'none',
    }),
    1,
  );
});

test('reconciles are timed by kind', async () => {
  const m = new ControllerMetrics();
  m.reconcileStarted('run')();
  m.reconcileStarted('run')();
  m.reconcileStarted('pool')();
  assert.is(await value(m, 'coderun_controller_reconcile_duration_seconds_count', { kind: 'run' }), 2);
  assert.is(await value(m, 'coderun_controller_reconcile_duration_seconds_count', { kind: 'pool' }), 1);
});

test('failed reconciles are counted by kind', async () => {
  const m = new ControllerMetrics();
  m.reconcileStarted('run')();
  m.reconcileStarted('pool')();
  m.reconcileFailed('pool');
  assert.is(await value(m, 'coderun_controller_reconcile_errors_total', { kind: 'pool' }), 1);
  assert.is(await value(m, 'coderun_controller_reconcile_errors_total', { kind: 'run' }), undefined);
});

test('cold Pod starts and job deliveries go to their histograms, deliveries by warm or cold', async () => {
  const m = new ControllerMetrics();
  m.podStarted(2.5);
  m.jobDelivered('cold', 2.7);
  m.jobDelivered('warm', 0.05);
  m.jobDelivered('warm', 0.07);
  assert.is(await value(m, 'coderun_controller_pod_start_seconds_count'), 1);
  assert.is(await value(m, 'coderun_controller_pod_start_seconds_sum'), 2.5);
  assert.is(await value(m, 'coderun_controller_job_delivery_seconds_count', { sandbox: 'warm' }), 2);
  assert.is(await value(m, 'coderun_controller_job_delivery_seconds_count', { sandbox: 'cold' }), 1);
});

test("a run's stages go to one histogram, by sandbox and stage", async () => {
  const m = new ControllerMetrics();
  m.runStages('warm', [
    { stage: 'program', seconds: 0.04 },
    { stage: 'write', seconds: 0.02 },
  ]);
  m.runStages('warm', [{ stage: 'program', seconds: 0.06 }]);
  m.runStages(undefined, [{ stage: 'decide', seconds: 0.001 }]);
  const program = { sandbox: 'warm', stage: 'program' };
  assert.is(await value(m, 'coderun_controller_run_stage_seconds_count', program), 2);
  assert.ok(
    Math.abs(((await value(m, 'coderun_controller_run_stage_seconds_sum', program)) ?? 0) - 0.1) < 1e-9,
  );
  assert.is(
    await value(m, 'coderun_controller_run_stage_seconds_count', { sandbox: 'warm', stage: 'write' }),
    1,
  );
  assert.is(
    await value(m, 'coderun_controller_run_stage_seconds_count', { sandbox: 'none', stage: 'decide' }),
    1,
  );
});

test('attach failures are counted', async () => {
  const m = new ControllerMetrics();
  m.attachFailed();
  m.attachFailed();
  assert.is(await value(m, 'coderun_controller_attach_failures_total'), 2);
});

test('the queue depth and leader gauges read their sources at scrape time', async () => {
  const m = new ControllerMetrics();
  assert.is(await value(m, 'coderun_controller_leader'), 0);
  let depth = 3;
  let leading = true;
  m.observe({ queueDepth: () => depth, isLeader: () => leading });
  assert.is(await value(m, 'coderun_controller_workqueue_depth'), 3);
  assert.is(await value(m, 'coderun_controller_leader'), 1);
  depth = 0;
  leading = false;
  assert.is(await value(m, 'coderun_controller_workqueue_depth'), 0);
  assert.is(await value(m, 'coderun_controller_leader'), 0);
});

const PYTHON_POOL = { namespace: 'sandbox', pool: 'python' };

/** Metrics observing a python pool (4 idle, 3 ready, 2 claimed) and a nodejs one without a status; `set` changes them. */
function observingPools() {
  const m = new ControllerMetrics();
  let pools = [pool('python', { replicas: 4, readyReplicas: 3, claimed: 2 }), pool('nodejs')];
  m.observe({ pools: () => pools });
  return { m, pools, set: (next: SandboxPool[]) => (pools = next) };
}

test("pool gauges report each pool's idle, ready and claimed Pods", async () => {
  const { m } = observingPools();
  assert.is(await value(m, 'coderun_controller_pool_idle_pods', PYTHON_POOL), 4);
  assert.is(await value(m, 'coderun_controller_pool_ready_pods', PYTHON_POOL), 3);
  assert.is(await value(m, 'coderun_controller_pool_claimed_pods', PYTHON_POOL), 2);
  // A pool without a status yet has nothing ready.
  assert.is(
    await value(m, 'coderun_controller_pool_ready_pods', { namespace: 'sandbox', pool: 'nodejs' }),
    0,
  );
});

test('pool gauges forget a pool that is gone', async () => {
  const { m, pools, set } = observingPools();
  assert.is(await value(m, 'coderun_controller_pool_idle_pods', PYTHON_POOL), 4);
  set([pools[1] as SandboxPool]);
  assert.is(await value(m, 'coderun_controller_pool_idle_pods', PYTHON_POOL), undefined);
});

test('the exposition names every controller metric, in a registry of its own', async () => {
  const m = new ControllerMetrics();
  const text = await m.registry.metrics();
  for (const name of [
    'coderun_controller_reconcile_duration_seconds',
    'coderun_controller_reconcile_errors_total',
    'coderun_controller_workqueue_depth',
    'coderun_controller_pod_start_seconds',
    'coderun_controller_job_delivery_seconds',
    'coderun_controller_runs_finished_total',
    'coderun_controller_attach_failures_total',
    'coderun_controller_pool_idle_pods',
    'coderun_controller_pool_ready_pods',
    'coderun_controller_pool_claimed_pods',
    'coderun_controller_leader',
    'coderun_controller_process_cpu_seconds_total',
  ]) {
    assert.match(text, `# TYPE ${name} `, name);
  }
  // Two controllers in one process (as in the tests) count apart.
  const other = new ControllerMetrics();
  m.attachFailed();
  assert.is(await value(other, 'coderun_controller_attach_failures_total'), 0);
});

test("the policy pool's gauges read the pool given to observe(), and report an idle pool before", async () => {
  const metrics = new ControllerMetrics();
  assert.is(await value(metrics, 'coderun_controller_policy_checks_waiting'), 0);
  assert.is(await value(metrics, 'coderun_controller_policy_workers', { role: 'serving', state: 'warm' }), 0);
  metrics.observe({ policy: () => ({ waiting: 2, serving: 3, warm: 3, spare: 'none' }) });
  assert.is(await value(metrics, 'coderun_controller_policy_checks_waiting'), 2);
  assert.is(await value(metrics, 'coderun_controller_policy_workers', { role: 'serving', state: 'warm' }), 3);
  assert.is(await value(metrics, 'coderun_controller_policy_workers', { role: 'spare', state: 'warm' }), 0);
});

test.run();
