// End to end: warm pools on the local cluster. Real SandboxPools, real pre-started gVisor Pods, real claims
// by the controller running here; each Pod serves exactly one run and is deleted.

import type { V1Pod } from '@kubernetes/client-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CodeRunClient } from '../../src/coderun/client.ts';
import { POOL_PLURAL, type SandboxPool } from '../../src/coderun/sandbox-pool.ts';
import { API_VERSION, type CodeRun, type CodeRunSpec, GROUP, VERSION } from '../../src/coderun/schema.ts';
import type { RunningController } from '../../src/controller/leader.ts';
import { LABELS } from '../../src/controller/sandbox-pod.ts';
import type { KubeClients } from '../../src/kube/client.ts';
import { createLogger } from '../../src/log.ts';
import { waitFor } from '../harness/cluster-actors.ts';
import { installCrds } from '../harness/control-plane.ts';
import { setUpSuite } from '../suite-setup.ts';
import {
  connectCluster,
  describeRun,
  ensureImagesImported,
  startE2eController,
  waitForRunEnd,
} from './support.ts';

const NS = `e2e-warm-${Date.now().toString(36)}`;
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'e2e');
// Small sandboxes, so a pool of 5 fits this 2-core node beside everything else.
const SIZE = { cpu: '250m', memory: '128Mi' };
let kube: KubeClients;
let runs: CodeRunClient;
let controller: RunningController | undefined;
let counter = 0;

function start(): RunningController {
  return startE2eController(kube, NS, log, {
    CODERUN_DEFAULT_CPU: SIZE.cpu,
    SANDBOX_MAX_MEMORY: SIZE.memory,
  });
}

setUpSuite(test, 'warm pool e2e', async () => {
  await ensureImagesImported(['sandbox-python.tar', 'sandbox-nodejs.tar']);
  const cluster = connectCluster();
  kube = cluster.kube;
  runs = new CodeRunClient(kube);
  await installCrds(cluster.kc, new URL('../../crds', import.meta.url).pathname);
  await kube.core.createNamespace({ body: { metadata: { name: NS } } });
  controller = start();
});

test.after(async () => {
  await controller?.stop();
  await kube?.core.deleteNamespace({ name: NS }).catch(() => undefined);
});

const POOLS = { group: GROUP, version: VERSION, namespace: NS, plural: POOL_PLURAL };
const poolApi = (name: string) => ({ ...POOLS, name });

async function applyPool(
  name: string,
  language: 'python' | 'nodejs',
  replicas: number,
  preload?: string[],
): Promise<void> {
  const body = {
    apiVersion: API_VERSION,
    kind: 'SandboxPool',
    metadata: { name, namespace: NS },
    spec: { language, replicas, resources: SIZE, ...(preload ? { preload } : {}) },
  };
  // The controller writes the pool's status meanwhile: retry a replace that lost to it.
  for (let attempt = 0; ; attempt++) {
    let current: SandboxPool | undefined;
    try {
      current = (await kube.custom.getNamespacedCustomObject(poolApi(name))) as SandboxPool;
    } catch {
      await kube.custom.createNamespacedCustomObject({ ...POOLS, body });
      return;
    }
    try {
      await kube.custom.replaceNamespacedCustomObject({
        ...poolApi(name),
        body: { ...body, metadata: { ...body.metadata, resourceVersion: current.metadata.resourceVersion } },
      });
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
    }
  }
}

async function poolPods(name: string): Promise<V1Pod[]> {
  const list = await kube.core.listNamespacedPod({ namespace: NS, labelSelector: `${LABELS.pool}=${name}` });
  return list.items.filter((p) => !p.metadata?.deletionTimestamp);
}

const idleReady = async (name: string) =>
  (await poolPods(name)).filter(
    (p) => p.metadata?.labels?.[LABELS.state] === 'idle' && p.status?.containerStatuses?.[0]?.state?.running,
  );

async function waitReady(name: string, count: number): Promise<void> {
  await waitFor(
    `pool ${name} to have ${count} ready idle Pods`,
    async () => (await idleReady(name)).length >= count,
    180_000,
  );
}

async function execute(spec: Partial<CodeRunSpec> & Pick<CodeRunSpec, 'source'>): Promise<CodeRun> {
  counter += 1;
  const created = await runs.create({
    namespace: NS,
    name: `warm-${counter}`,
    spec: { language: 'python', arguments: {}, timeoutSeconds: 20, ...spec },
  });
  return waitForRunEnd(runs, NS, created.metadata.name, 240_000);
}

test('a run is served warm by a pool Pod, reports it, and the pool refills', async () => {
  await applyPool('py', 'python', 2);
  await waitReady('py', 2);
  const before = new Set((await idleReady('py')).map((p) => p.metadata?.name));
  const started = Date.now();
  const run = await execute({ source: 'def main():\n    return {"hello": "warm"}\n' });
  const ms = Date.now() - started;
  assert.is(run.status?.phase, 'Succeeded', describeRun(run));
  assert.is(run.status?.sandbox, 'warm');
  assert.ok(before.has(run.status?.podName), `${run.status?.podName} was one of the idle Pods`);
  assert.equal(run.status?.result, { present: true, value: { hello: 'warm' } });
  console.log(
    `  warm hello world, CodeRun created -> Succeeded: ${ms} ms (program ${run.status?.durationMs} ms)`,
  );
  // The claimed Pod is deleted; the pool is back to two idle Pods, none of them the used one.
  await waitFor(
    'the used Pod to be gone',
    async () => !(await poolPods('py')).some((p) => p.metadata?.name === run.status?.podName),
  );
  await waitReady('py', 2);
  await runs.delete(NS, run.metadata.name);
});

test('single use: files and processes a run leaves behind are never seen by the next run', async () => {
  const leave =
    'import subprocess, os\n\ndef main():\n    open("left-behind.txt", "w").write("secret")\n    return os.getpid()\n';
  const look =
    'import os\n\ndef main():\n    return {"file": os.path.exists("left-behind.txt"), "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit())}\n';
  for (let i = 0; i < 3; i++) {
    await waitReady('py', 2);
    const first = await execute({ source: leave });
    assert.is(first.status?.sandbox, 'warm', describeRun(first));
    const second = await execute({ source: look });
    assert.is(second.status?.sandbox, 'warm', describeRun(second));
    assert.is.not(second.status?.podName, first.status?.podName);
    assert.equal((second.status?.result?.value as { file?: boolean } | undefined)?.file, false);
    await runs.delete(NS, first.metadata.name);
    await runs.delete(NS, second.metadata.name);
  }
});

test('a timeout in a warm Pod reports exactly what it reports cold', async () => {
  const source = 'import time\n\ndef main():\n    time.sleep(60)\n';
  await waitReady('py', 1);
  const warm = await execute({ source, timeoutSeconds: 2 });
  assert.is(warm.status?.sandbox, 'warm');
  await applyPool('py', 'python', 0);
  await waitFor('the pool to be empty', async () => (await idleReady('py')).length === 0, 60_000);
  const cold = await execute({ source, timeoutSeconds: 2 });
  assert.is(cold.status?.sandbox, 'cold', describeRun(cold));
  assert.equal(
    [warm.status?.phase, warm.status?.reason, warm.status?.exitCode],
    [cold.status?.phase, cold.status?.reason, cold.status?.exitCode],
  );
  assert.is(warm.status?.reason, 'TimedOut');
});

test('20 concurrent runs on a pool of 5 never share a Pod and all succeed', async () => {
  await applyPool('py', 'python', 5);
  await waitReady('py', 5);
  const created = await Promise.all(
    Array.from({ length: 20 }, () => {
      counter += 1;
      return runs.create({
        namespace: NS,
        name: `burst-${counter}`,
        spec: {
          language: 'python',
          arguments: {},
          timeoutSeconds: 30,
          source: 'def main():\n    return 1\n',
        },
      });
    }),
  );
  const done = await Promise.all(created.map((r) => waitForRunEnd(runs, NS, r.metadata.name, 300_000)));
  for (const run of done) assert.is(run.status?.phase, 'Succeeded', describeRun(run));
  const pods = done.map((r) => r.status?.podName);
  assert.is(new Set(pods).size, 20, 'every run had its own Pod');
  const warm = done.filter((r) => r.status?.sandbox === 'warm').length;
  assert.ok(warm >= 5, `${warm} of 20 were served warm`);
  console.log(`  burst of 20 on a pool of 5: ${warm} warm, ${20 - warm} cold`);
  for (const run of done) await runs.delete(NS, run.metadata.name);
});

test('a controller restart in the middle of claims loses no run and leaks no Pod', async () => {
  await waitReady('py', 5);
  const created = await Promise.all(
    Array.from({ length: 6 }, () => {
      counter += 1;
      return runs.create({
        namespace: NS,
        name: `restart-${counter}`,
        spec: {
          language: 'python',
          arguments: {},
          timeoutSeconds: 30,
          source: 'def main():\n    return 2\n',
        },
      });
    }),
  );
  await new Promise((r) => setTimeout(r, 300));
  await controller?.stop();
  controller = start();
  const done = await Promise.all(created.map((r) => waitForRunEnd(runs, NS, r.metadata.name, 300_000)));
  for (const run of done) assert.is(run.status?.phase, 'Succeeded', describeRun(run));
  for (const run of done) await runs.delete(NS, run.metadata.name);
  // Every Pod is either idle in the pool or gone: none claimed and left behind.
  await waitFor(
    'no claimed Pod left',
    async () => (await poolPods('py')).every((p) => p.metadata?.labels?.[LABELS.state] === 'idle'),
    120_000,
  );
});

test('deleting a pool deletes its idle Pods, never a claimed one', async () => {
  await waitReady('py', 2);
  counter += 1;
  const running = await runs.create({
    namespace: NS,
    name: `during-delete-${counter}`,
    spec: {
      language: 'python',
      arguments: {},
      timeoutSeconds: 30,
      source: 'import time\n\ndef main():\n    time.sleep(4)\n    return 3\n',
    },
  });
  await waitFor(
    'the run to be running warm',
    async () => {
      const r = await runs.get(NS, running.metadata.name);
      return r.status?.phase === 'Running' && r.status.sandbox === 'warm';
    },
    120_000,
  );
  await kube.custom.deleteNamespacedCustomObject({ ...poolApi('py'), propagationPolicy: 'Background' });
  const done = await waitForRunEnd(runs, NS, running.metadata.name, 120_000);
  assert.is(done.status?.phase, 'Succeeded', describeRun(done));
  assert.equal(done.status?.result?.value, 3);
  await waitFor('the idle Pods to be gone', async () => (await idleReady('py')).length === 0, 120_000);
});

test('a pool that preloads turns Ready only once its runner has imported them, and serves them warm', async () => {
  // The 'py' pool is gone (previous test): the preloading pool is the only one of this size.
  await applyPool('pre', 'python', 1, ['fractions', 'decimal']);
  // The startup probe (test -e of the runner's ready file, under gVisor and the seccomp profile) passes.
  await waitFor(
    'the preloading Pod to be Ready',
    async () => (await poolPods('pre')).some((p) => p.status?.containerStatuses?.[0]?.ready === true),
    180_000,
  );
  const run = await execute({
    source: 'import sys\n\ndef main():\n    return ["fractions" in sys.modules, "decimal" in sys.modules]\n',
  });
  assert.is(run.status?.phase, 'Succeeded', describeRun(run));
  assert.is(run.status?.sandbox, 'warm');
  assert.equal(run.status?.result?.value, [true, true]);
  await applyPool('pre', 'python', 0);
});

test('Node.js runs are served warm too', async () => {
  await applyPool('node', 'nodejs', 1);
  await waitReady('node', 1);
  const run = await execute({
    language: 'nodejs',
    source: 'function main(args) { return { node: process.version }; }',
  });
  assert.is(run.status?.phase, 'Succeeded', describeRun(run));
  assert.is(run.status?.sandbox, 'warm');
  await applyPool('node', 'nodejs', 0);
});

test('a Python run that needs more CPU and memory than the pool has is served warm by a Pod grown in place', async () => {
  await applyPool('grow-py', 'python', 1);
  await waitReady('grow-py', 1);
  const idle = new Set((await idleReady('grow-py')).map((p) => p.metadata?.name));
  // 160 MiB touched: more than the pool's 128Mi, which would end the sandbox (OOMKilled) without the resize.
  const run = await execute({
    resources: { cpu: '500m', memory: '256Mi' },
    source:
      'def main():\n    b = bytearray(160 * 1024 * 1024)\n    for i in range(0, len(b), 4096):\n        b[i] = 1\n    return len(b)\n',
  });
  assert.is(run.status?.phase, 'Succeeded', describeRun(run));
  assert.is(run.status?.sandbox, 'warm');
  assert.ok(idle.has(run.status?.podName), `${run.status?.podName} was the pool's idle Pod`);
  assert.equal(run.status?.result, { present: true, value: 160 * 1024 * 1024 });
  await applyPool('grow-py', 'python', 0);
});

test("a Node.js run grows a pool Pod's CPU in place, but one that needs more memory starts cold", async () => {
  await applyPool('grow-node', 'nodejs', 1);
  await waitReady('grow-node', 1);
  const source = 'function main() { return { grown: true }; }';
  const moreCpu = await execute({ language: 'nodejs', resources: { cpu: '500m' }, source });
  assert.is(moreCpu.status?.phase, 'Succeeded', describeRun(moreCpu));
  assert.is(moreCpu.status?.sandbox, 'warm');
  await waitReady('grow-node', 1);
  const moreMemory = await execute({ language: 'nodejs', resources: { memory: '256Mi' }, source });
  assert.is(moreMemory.status?.phase, 'Succeeded', describeRun(moreMemory));
  assert.is(moreMemory.status?.sandbox, 'cold');
  await applyPool('grow-node', 'nodejs', 0);
});

test.run();
