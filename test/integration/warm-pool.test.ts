// Warm-pool claims against a real API server: two controllers that both believe they lead (the moment of a
// hand-over) race for the same idle Pods, and optimistic concurrency still gives each Pod to one run only.
// The test plays the kubelet (Pod status) and the runner (answers); everything else is real.
import type { V1Pod } from '@kubernetes/client-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CodeRunClient } from '../../src/coderun/client.ts';
import { POOL_PLURAL, type SandboxPool } from '../../src/coderun/sandbox-pool.ts';
import { API_VERSION, type CodeRun, GROUP, VERSION } from '../../src/coderun/schema.ts';
import { type RunningController, startController } from '../../src/controller/leader.ts';
import { PoolReconciler } from '../../src/controller/pool-reconciler.ts';
import { LABELS } from '../../src/controller/sandbox-pod.ts';
import { type KubeClients, makeClients } from '../../src/kube/client.ts';
import { EventRecorder } from '../../src/kube/events.ts';
import { createLogger } from '../../src/log.ts';
import { fixedRuntimes } from '../../src/runtimes/catalog.ts';
import { testConfig, testPolicy, testRuntimes } from '../fixtures.ts';
import { report, ScriptedRunner, setContainerState, waitFor } from '../harness/cluster-actors.ts';
import { type ControlPlane, prepareSandboxCluster, startControlPlane } from '../harness/control-plane.ts';

const NS = 'warm';
const POOL = 'python';
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'test');
let plane: ControlPlane;
let kube: KubeClients;
let runs: CodeRunClient;
const runner = new ScriptedRunner();
const controllers: RunningController[] = [];

test.before(async () => {
  plane = await startControlPlane({ crdDir: new URL('../../crds', import.meta.url).pathname });
  kube = makeClients(plane.kubeConfig);
  runs = new CodeRunClient(kube);
  await prepareSandboxCluster(plane.kubeConfig, NS);
  // Two controllers without a Lease: both act on every event, as two leaders would during a bad hand-over.
  for (let i = 0; i < 2; i++) {
    controllers.push(
      startController({
        kube,
        config: testConfig({ CODERUN_LEADER_ELECTION: 'false', CODERUN_START_TIMEOUT: '60' }),
        policy: testPolicy(),
        channel: runner,
        log,
        onLostLeadership: () => undefined,
      }),
    );
  }
});

test.after(async () => {
  for (const c of controllers) await c.stop();
  await plane?.stop();
});

async function poolPods(): Promise<V1Pod[]> {
  const list = await kube.core.listNamespacedPod({ namespace: NS, labelSelector: `${LABELS.pool}=${POOL}` });
  return list.items.filter((p) => !p.metadata?.deletionTimestamp);
}

/** Sets a Pod's state label, as a claim (or its undoing) does. */
async function relabel(name: string, state: string): Promise<V1Pod> {
  const pod = await kube.core.readNamespacedPod({ namespace: NS, name });
  pod.metadata = { ...pod.metadata, labels: { ...pod.metadata?.labels, [LABELS.state]: state } };
  return kube.core.replaceNamespacedPod({ namespace: NS, name, body: pod });
}

/** Plays the kubelet for every idle pool Pod: its runner is up and waiting. */
async function startIdlePods(): Promise<number> {
  let started = 0;
  for (const pod of await poolPods()) {
    if (pod.metadata?.labels?.[LABELS.state] !== 'idle' || pod.status?.phase === 'Running') continue;
    await setContainerState(kube, NS, pod.metadata?.name as string, { running: { startedAt: new Date() } });
    started++;
  }
  return started;
}

test('a pool fills to its replicas once, with both controllers creating its Pods', async () => {
  await kube.custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: NS,
    plural: POOL_PLURAL,
    body: {
      apiVersion: API_VERSION,
      kind: 'SandboxPool',
      metadata: { name: POOL, namespace: NS },
      spec: { language: 'python', replicas: 4 },
    },
  });
  await waitFor('four idle Pods', async () => (await poolPods()).length >= 4);
  await new Promise((r) => setTimeout(r, 2000));
  // Expectations keep each controller from creating twice; two controllers may overshoot once, then
  // the surplus is deleted.
  await waitFor('exactly four idle Pods', async () => (await poolPods()).length === 4, 20_000);
  await startIdlePods();
});

test('twelve runs at once on four ready Pods: no Pod is claimed twice, every run finishes', async () => {
  const created = await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      runs.create({
        namespace: NS,
        name: `race-${i}`,
        spec: { language: 'python', source: 'def main(i):\n    return i\n', arguments: { i } },
      }),
    ),
  );
  // Play the kubelet and the runner until every run is done: start every Pod that appears (cold ones
  // and refills), answer every job delivered.
  const answered = new Set<string>();
  const done = await waitFor(
    'every run to finish',
    async () => {
      const all = await kube.core.listNamespacedPod({ namespace: NS });
      for (const pod of all.items) {
        const name = pod.metadata?.name as string;
        if (!pod.metadata?.deletionTimestamp && pod.status?.phase !== 'Running') {
          await setContainerState(kube, NS, name, { running: { startedAt: new Date() } }).catch(
            () => undefined,
          );
        }
        if (runner.jobs.get(`${NS}/${name}`)?.length && !answered.has(name)) {
          answered.add(name);
          runner.answer(NS, name, report());
        }
      }
      const current = await Promise.all(created.map((r) => runs.get(NS, r.metadata.name)));
      return current.every((r) => r.status?.phase === 'Succeeded' || r.status?.phase === 'Failed')
        ? current
        : null;
    },
    90_000,
  );
  for (const run of done)
    assert.is(run.status?.phase, 'Succeeded', `${run.metadata.name}: ${run.status?.message}`);
  const pods = done.map((r: CodeRun) => r.status?.podName);
  assert.is(new Set(pods).size, done.length, `each run had its own Pod: ${pods.join(', ')}`);
  const warm = done.filter((r) => r.status?.sandbox === 'warm').length;
  assert.ok(warm >= 4, `at least the four ready Pods were claimed (${warm} warm)`);
  // A claimed Pod gets its job through the attach opened while it was idle. Not every one: a refill claimed
  // in the moment it turned ready, or a claim the other controller won, falls back to a fresh attach.
  const warmPods = done.filter((r) => r.status?.sandbox === 'warm').map((r) => `${NS}/${r.status?.podName}`);
  const throughOpen = warmPods.filter((p) => runner.deliveredThroughOpen.has(p));
  assert.ok(throughOpen.length >= 1, `no warm run used a pre-opened attach (${warmPods.join(', ')})`);
  // No Pod was ever sent the jobs of two different runs, whichever controller sent them.
  for (const [pod, jobs] of runner.jobs) {
    const runsSent = new Set(jobs.map((line) => JSON.parse(line).arguments.i));
    assert.is(runsSent.size, 1, `${pod} got the jobs of runs ${[...runsSent].join(', ')}`);
  }
});

test('a pool shrinking on a stale view does not delete a Pod a run claimed meanwhile', async () => {
  // The moment of the race above, made deterministic: a controller's cache still shows a Pod idle while
  // the other controller has just claimed it, and the pool (scaled to 0 in that view) wants it gone.
  const pool = (await kube.custom.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: NS,
    plural: POOL_PLURAL,
    name: POOL,
  })) as SandboxPool;
  const [stale] = (await poolPods()).filter((p) => p.metadata?.labels?.[LABELS.state] === 'idle');
  assert.ok(stale, 'an idle Pod to race for');
  const name = stale.metadata?.name as string;
  await relabel(name, 'claimed');
  const reconciler = new PoolReconciler({
    kube,
    config: testConfig(),
    events: new EventRecorder(kube, 'test', log),
    runtimes: fixedRuntimes(testRuntimes()),
    log,
  });
  await reconciler.reconcile({ ...pool, spec: { ...pool.spec, replicas: 0 } }, [stale]);
  const after = await kube.core.readNamespacedPod({ namespace: NS, name });
  assert.not.ok(after.metadata?.deletionTimestamp, `${name} was deleted although a run had claimed it`);
  // The same decision on a fresh view deletes it: the precondition refuses stale views only.
  const idleAgain = await relabel(name, 'idle');
  await reconciler.reconcile({ ...pool, spec: { ...pool.spec, replicas: 0 } }, [idleAgain]);
  await waitFor(`${name} deleted`, async () =>
    kube.core.readNamespacedPod({ namespace: NS, name }).then(
      (p) => Boolean(p.metadata?.deletionTimestamp),
      () => true,
    ),
  );
});

test.run();
