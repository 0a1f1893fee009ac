import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ORIGIN_LABEL } from '../../src/api/run-service.ts';
import { startApi } from '../../src/api/start.ts';
import { CodeRunClient } from '../../src/coderun/client.ts';
import type { CodeRun } from '../../src/coderun/schema.ts';
import { loadApiConfig } from '../../src/config/api.ts';
import { type RunningController, startController } from '../../src/controller/leader.ts';
import { type KubeClients, makeClients } from '../../src/kube/client.ts';
import { createLogger } from '../../src/log.ts';
import type { RunnerReport } from '../../src/runtimes/protocol.ts';
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
    HOSTNAME: 'api-test',
    CODERUN_START_BUDGET: '20',
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

function postRun(
  code: string,
  opts: { timeoutSeconds?: number; signal?: AbortSignal; language?: string; args?: object } = {},
) {
  return fetch(`${base}/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({
      code_b64: Buffer.from(code).toString('base64'),
      language: opts.language ?? 'python',
      arguments: opts.args ?? { a: 1 },
    }),
    signal: opts.signal,
  });
}

async function apiRuns(): Promise<CodeRun[]> {
  return (await runs.list(NS, `${ORIGIN_LABEL}=api`)).items;
}

/** The CodeRun the API created for the request in flight, once it has its Pod. */
async function newRunWithPod(seen: Set<string>): Promise<CodeRun> {
  return waitFor('the API to create a CodeRun with a pod', async () => {
    const run = (await apiRuns()).find((r) => !seen.has(r.metadata.name) && r.status?.podName);
    if (run) seen.add(run.metadata.name);
    return run;
  });
}

const seen = new Set<string>();

/** Drives one request to the end: the test starts the sandbox and the runner answers (or the sandbox dies). */
async function runThrough(code: string, finish: (run: CodeRun, pod: string) => Promise<void>) {
  const response = postRun(code);
  const run = await newRunWithPod(seen);
  const pod = run.status?.podName as string;
  await setContainerState(kube, NS, pod, { running: { startedAt: new Date() } });
  await runner.jobFor(NS, pod);
  await finish(run, pod);
  const res = await response;
  assert.is(res.status, 200);
  return { run, body: await res.json() };
}

const answer = (fields: Partial<RunnerReport>) => async (_run: CodeRun, pod: string) =>
  runner.answer(NS, pod, report(fields));

test("a successful run answers success with the program's stdout and the structured result", async () => {
  const { body, run } = await runThrough(
    'def main(a):\n    return {"sum": a + 2}\n',
    answer({ stdout: 'hello\n', result: { present: true, value: { sum: 3 } } }),
  );
  assert.equal(body.status, 'success', body.stderr);
  assert.is(body.exit_code, 0);
  assert.is(body.stdout, 'hello\n');
  assert.equal(body.result, { present: true, value: { sum: 3 }, type: 'json' });
  assert.is(body.time_used_ms, 25);
  assert.equal(run.spec.arguments, { a: 1 });
  assert.is(
    run.spec.ttlSecondsAfterFinished,
    60,
    'a run answered over /run is kept CODERUN_ANSWERED_RUN_TTL',
  );
});

test('a program error answers program_error with the traceback and no stdout', async () => {
  const { body } = await runThrough(
    'def main(a):\n    return 1 / 0\n',
    answer({
      exitCode: 1,
      stdout: 'partial',
      stderr: 'ZeroDivisionError: division by zero',
      result: { present: false },
    }),
  );
  assert.equal(
    [body.status, body.exit_code, body.stdout, body.runtime_error_type],
    ['program_error', 1, '', 'nonzero_exit'],
  );
  assert.match(body.stderr, 'ZeroDivisionError');
});

test('a timeout answers resource_limit_exceeded/time with -124', async () => {
  const { body } = await runThrough(
    'while True: pass\n',
    answer({ exitCode: null, signal: 'SIGKILL', timedOut: true, result: { present: false } }),
  );
  assert.equal(
    [body.status, body.exit_code, body.stderr, body.resource_limit_type],
    ['resource_limit_exceeded', -124, 'Execution timeout', 'time'],
  );
});

test('an OOM kill answers resource_limit_exceeded/memory with -137', async () => {
  const { body } = await runThrough('x = bytearray(10**10)\n', async (_run, pod) => {
    await setContainerState(kube, NS, pod, { terminated: { exitCode: 137, reason: 'OOMKilled' } });
    runner.hangUp(NS, pod);
  });
  assert.equal(
    [body.status, body.exit_code, body.resource_limit_type],
    ['resource_limit_exceeded', -137, 'memory'],
  );
});

test('a policy rejection answers -999 at once and creates no CodeRun', async () => {
  const before = (await apiRuns()).length;
  const res = await postRun('import subprocess\nsubprocess.run(["id"])\n');
  const body = await res.json();
  assert.equal(
    [res.status, body.status, body.exit_code, body.detail],
    [200, 'program_runner_error', -999, 'Code is unsafe'],
  );
  assert.match(body.stderr, /^Line 1: /);
  assert.is((await apiRuns()).length, before);
});

test('a client that disconnects leaves no CodeRun behind', async () => {
  const abort = new AbortController();
  const response = postRun('import time\ntime.sleep(60)\n', { signal: abort.signal }).catch(() => 'aborted');
  const run = await newRunWithPod(seen);
  abort.abort();
  assert.is(await response, 'aborted');
  await waitFor(
    'the cancelled CodeRun to be deleted',
    async () => !(await apiRuns()).some((r) => r.metadata.name === run.metadata.name),
  );
});

test('a Node.js run goes through the same path', async () => {
  const response = postRun('function main(args) { return { a: args.a }; }\n', { language: 'javascript' });
  const run = await newRunWithPod(seen);
  assert.is(run.spec.language, 'nodejs');
  const pod = run.status?.podName as string;
  await setContainerState(kube, NS, pod, { running: { startedAt: new Date() } });
  await runner.jobFor(NS, pod);
  runner.answer(NS, pod, report({ result: { present: true, value: { a: 1 } } }));
  const body = await (await response).json();
  assert.equal([body.status, body.result], ['success', { present: true, value: { a: 1 }, type: 'json' }]);
});

test('/readyz reports ready while Kubernetes is reachable', async () => {
  const res = await fetch(`${base}/readyz`);
  assert.is(res.status, 200);
});

// Last: it stops the API. A second API with a 1 s grace period shows what SIGTERM does to a run in flight.
test('a namespace at its CodeRun quota answers /run with 429 and Retry-After, and POST /v1/runs with 429', async () => {
  await kube.core.createNamespacedResourceQuota({
    namespace: NS,
    body: { metadata: { name: 'runs' }, spec: { hard: { 'count/coderuns.coderun.dev': '0' } } },
  });
  try {
    // Admission counts against the usage the quota controller has recorded.
    await waitFor('the quota to be in force', async () => {
      const q = await kube.core.readNamespacedResourceQuota({ namespace: NS, name: 'runs' });
      return q.status?.hard?.['count/coderuns.coderun.dev'] !== undefined;
    });
    const res = await postRun('def main(a):\n    return a\n');
    assert.is(res.status, 429);
    assert.ok(res.headers.get('retry-after'));
    const body = await res.json();
    assert.is(body.exit_code, -429);
    const native = await fetch(`${base}/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ language: 'python', source: 'def main():\n    return 1\n' }),
    });
    assert.is(native.status, 429);
    assert.match((await native.json()).message, /quota/);
  } finally {
    await kube.core.deleteNamespacedResourceQuota({ namespace: NS, name: 'runs' });
  }
});

test('shutdown stops accepting, answers a run still in flight after the grace period, and cancels it', async () => {
  await api.stop();
  const config = loadApiConfig({
    CODERUN_API_HOST: '127.0.0.1',
    CODERUN_API_PORT: '0',
    CODERUN_RUN_NAMESPACE: NS,
    SANDBOX_EXECUTOR_MANAGER_API_TOKEN: TOKEN,
    HOSTNAME: 'api-test-2',
    CODERUN_SHUTDOWN_GRACE: '1',
  });
  api = await startApi({ config, kube, policy: testPolicy(), log });
  const address = api.app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const response = postRun('import time\ntime.sleep(60)\n');
  const run = await newRunWithPod(seen);
  const stopped = api.stop();
  const answer = await response;
  assert.is(
    answer.headers.get('connection'),
    'close',
    'an answer given while draining closes its connection',
  );
  const body = await answer.json();
  await stopped;
  assert.equal([body.status, body.exit_code], ['program_runner_error', -3]);
  assert.match(body.stderr, 'shutting down');
  await waitFor(
    'the in-flight CodeRun to be cancelled',
    async () => !(await apiRuns()).some((r) => r.metadata.name === run.metadata.name),
  );
  const refused = await fetch(`${base}/healthz`)
    .then(() => 'answered')
    .catch(() => 'refused');
  assert.is(refused, 'refused');
});

test.run();
