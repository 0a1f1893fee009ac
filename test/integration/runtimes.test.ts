// Runtimes as data against a real API server: a SandboxRuntime registered in the cluster is a language the
// API accepts and the controller runs, with that runtime's image and program file; a language that names
// none is refused listing the registered ones, and a run whose runtime is gone ends with a clear status.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startApi } from '../../src/api/start.ts';
import { CodeRunClient } from '../../src/coderun/client.ts';
import { POOL_PLURAL, type SandboxPool } from '../../src/coderun/sandbox-pool.ts';
import { RUNTIME_PLURAL, type SandboxRuntime } from '../../src/coderun/sandbox-runtime.ts';
import { type CodeRun, GROUP, VERSION } from '../../src/coderun/schema.ts';
import { loadApiConfig } from '../../src/config/api.ts';
import { type RunningController, startController } from '../../src/controller/leader.ts';
import { type KubeClients, makeClients } from '../../src/kube/client.ts';
import { createLogger } from '../../src/log.ts';
import { testConfig, testPolicy } from '../fixtures.ts';
import { report, ScriptedRunner, setContainerState, waitFor } from '../harness/cluster-actors.ts';
import { type ControlPlane, prepareSandboxCluster, startControlPlane } from '../harness/control-plane.ts';

const NS = 'sandbox';
const TOKEN = 'integration-token';
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'test');
let plane: ControlPlane;
let kube: KubeClients;
let runs: CodeRunClient;
let runner: ScriptedRunner;
let controller: RunningController;
let api: Awaited<ReturnType<typeof startApi>>;
let base: string;
let counter = 0;

const ruby: SandboxRuntime = {
  apiVersion: 'coderun.dev/v1alpha1',
  kind: 'SandboxRuntime',
  metadata: { name: 'ruby' },
  spec: {
    aliases: ['rb'],
    image: 'example/ruby-runner:3.3',
    programFile: 'main.rb',
    policy: 'none',
    resources: { default: { cpu: '250m', memory: '128Mi' } },
  },
};

const runtimeApi = { group: GROUP, version: VERSION, plural: RUNTIME_PLURAL };

async function register(runtime: SandboxRuntime): Promise<void> {
  await kube.custom.createClusterCustomObject({ ...runtimeApi, body: runtime });
}

async function unregister(name: string): Promise<void> {
  await kube.custom.deleteClusterCustomObject({ ...runtimeApi, name });
}

/** Until both the API's and the controller's caches hold exactly these runtimes. */
async function cachesHold(names: string[]): Promise<void> {
  await waitFor(`the API's runtimes to be ${names.join(', ')}`, async () =>
    api.runtimes.current().names().join() === names.join() ? true : null,
  );
  // The controller's set is seen through a run it refuses or accepts; give its watch the same moment.
  await new Promise((resolve) => setTimeout(resolve, 300));
}

async function createRun(language: string, source = 'puts 1'): Promise<CodeRun> {
  counter += 1;
  return runs.create({ namespace: NS, name: `rt-${counter}`, spec: { language, source, arguments: {} } });
}

async function until(run: CodeRun, what: string, check: (r: CodeRun) => boolean): Promise<CodeRun> {
  return waitFor(`${run.metadata.name}: ${what}`, async () => {
    const current = await runs.get(NS, run.metadata.name);
    return check(current) ? current : null;
  });
}

function postV1(body: object) {
  return fetch(`${base}/v1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
}

test.before(async () => {
  plane = await startControlPlane({ crdDir: new URL('../../crds', import.meta.url).pathname });
  kube = makeClients(plane.kubeConfig);
  runs = new CodeRunClient(kube);
  await prepareSandboxCluster(plane.kubeConfig, NS);
  runner = new ScriptedRunner();
  controller = startController({
    kube,
    config: testConfig({ CODERUN_LEADER_ELECTION: 'false' }),
    policy: testPolicy(),
    channel: runner,
    log,
    onLostLeadership: () => undefined,
  });
  const config = loadApiConfig({
    CODERUN_API_HOST: '127.0.0.1',
    CODERUN_API_PORT: '0',
    CODERUN_RUN_NAMESPACE: NS,
    SANDBOX_EXECUTOR_MANAGER_API_TOKEN: TOKEN,
    HOSTNAME: 'api-runtimes',
  });
  api = await startApi({ config, kube, policy: testPolicy(), log });
  const address = api.app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

test.after(async () => {
  await api?.stop();
  await controller?.stop();
  await plane?.stop();
});

test('with no SandboxRuntime registered, the built-in python and nodejs serve', async () => {
  assert.equal(api.runtimes.current().names(), ['python', 'nodejs']);
  const res = await postV1({ language: 'ruby', source: 'puts 1' });
  assert.is(res.status, 422);
  assert.equal((await res.json()).issues, [
    { field: 'language', message: 'no SandboxRuntime named "ruby"; registered: python, nodejs' },
  ]);
});

test("a CodeRun naming a registered runtime (by alias) gets a Pod with the runtime's image, program file and size", async () => {
  await register(ruby);
  await cachesHold(['ruby']);
  const run = await createRun('rb');
  const podName = (await until(run, 'a Pod', (r) => Boolean(r.status?.podName))).status?.podName as string;
  const pod = await kube.core.readNamespacedPod({ namespace: NS, name: podName });
  const container = pod.spec?.containers[0];
  assert.is(container?.image, 'example/ruby-runner:3.3');
  assert.ok(container?.env?.some((e) => e.name === 'CODERUN_PROGRAM_FILE' && e.value === 'main.rb'));
  assert.equal([container?.resources?.limits?.cpu, container?.resources?.limits?.memory], ['250m', '128Mi']);
  assert.is(pod.metadata?.labels?.['coderun.dev/language'], 'ruby');
  // The job names the runtime, whatever alias the run used.
  await setContainerState(kube, NS, podName, { running: { startedAt: new Date() } });
  const job = JSON.parse(await runner.jobFor(NS, podName));
  assert.is(job.language, 'ruby');
  runner.answer(NS, podName, report({ stdout: '1\n' }));
  const done = await until(run, 'Succeeded', (r) => r.status?.phase === 'Succeeded');
  assert.is(done.status?.stdout, '1\n');
});

test('the API accepts the registered runtime and refuses the rest, listing what is registered', async () => {
  const accepted = await postV1({ language: 'RB', source: 'puts 1' });
  assert.is(accepted.status, 201);
  assert.is((await accepted.json()).language, 'ruby');
  const refused = await fetch(`${base}/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ code_b64: Buffer.from('print(1)').toString('base64'), language: 'python' }),
  });
  assert.is(refused.status, 422);
  assert.equal((await refused.json()).detail[0], {
    type: 'enum',
    msg: "Input should be one of 'ruby', 'rb'",
    loc: ['body', 'language'],
    input: 'python',
  });
});

test('a CodeRun whose runtime is not registered fails as RuntimeNotFound, listing the registered ones', async () => {
  const run = await createRun('cobol');
  const failed = await until(run, 'a terminal phase', (r) => r.status?.phase === 'Failed');
  assert.is(failed.status?.reason, 'RuntimeNotFound');
  assert.is(failed.status?.message, 'spec.language: no SandboxRuntime named "cobol"; registered: ruby');
  const accepted = failed.status?.conditions?.find((c) => c.type === 'Accepted');
  assert.equal([accepted?.status, accepted?.reason], ['False', 'RuntimeNotFound']);
  assert.equal(
    (await kube.core.listNamespacedPod({ namespace: NS })).items.filter(
      (p) => p.metadata?.labels?.['coderun.dev/run'] === run.metadata.name,
    ),
    [],
  );
});

test('a pool of an unregistered runtime keeps no Pods and says why', async () => {
  await kube.custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: NS,
    plural: POOL_PLURAL,
    body: {
      apiVersion: 'coderun.dev/v1alpha1',
      kind: 'SandboxPool',
      metadata: { name: 'cobol', namespace: NS },
      spec: { language: 'cobol', replicas: 1 },
    },
  });
  const ready = await waitFor('the pool to say why it is not ready', async () => {
    const current = (await kube.custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: NS,
      plural: POOL_PLURAL,
      name: 'cobol',
    })) as SandboxPool;
    return current.status?.conditions?.find((c) => c.type === 'Ready' && c.reason === 'RuntimeNotFound');
  });
  assert.is(ready.status, 'False');
  assert.match(ready.message, 'no SandboxRuntime named "cobol"');
  const pods = await kube.core.listNamespacedPod({ namespace: NS, labelSelector: 'coderun.dev/pool=cobol' });
  assert.is(pods.items.length, 0);
});

test('once the last runtime is deleted, new runs of it are refused and the built-ins serve again', async () => {
  await unregister('ruby');
  await cachesHold(['python', 'nodejs']);
  const run = await createRun('ruby');
  const failed = await until(run, 'a terminal phase', (r) => r.status?.phase === 'Failed');
  assert.is(failed.status?.reason, 'RuntimeNotFound');
  assert.match(failed.status?.message ?? '', 'registered: python, nodejs');
});

test.run();
