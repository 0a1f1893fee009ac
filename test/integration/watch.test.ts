// The API's run watch against a real API server that ends watches, compacts etcd and restarts: a request
// waiting on POST /run still gets its answer. The test plays the controller by writing the run's status.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ORIGIN_LABEL } from '../../src/api/run-service.ts';
import { startApi } from '../../src/api/start.ts';
import { CodeRunClient } from '../../src/coderun/client.ts';
import type { CodeRun } from '../../src/coderun/schema.ts';
import { loadApiConfig } from '../../src/config/api.ts';
import { type KubeClients, makeClients } from '../../src/kube/client.ts';
import { createLogger } from '../../src/log.ts';
import { testPolicy } from '../fixtures.ts';
import { waitFor } from '../harness/cluster-actors.ts';
import { type ControlPlane, startControlPlane } from '../harness/control-plane.ts';

const NS = 'sandbox';
const TOKEN = 'watch-token';
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'test');
// Watches the API server ends after 5-10 s, so a quiet spell of 25 s outlives several of them.
const WATCH_TIMEOUT_FLAG = '--min-request-timeout=5';
let plane: ControlPlane;
let kube: KubeClients;
let runs: CodeRunClient;
let api: Awaited<ReturnType<typeof startApi>>;
let base: string;
const answered = new Set<string>();

test.before(async () => {
  plane = await startControlPlane({
    crdDir: new URL('../../crds', import.meta.url).pathname,
    apiserverFlags: [WATCH_TIMEOUT_FLAG],
  });
  kube = makeClients(plane.kubeConfig);
  runs = new CodeRunClient(kube);
  await kube.core.createNamespace({ body: { metadata: { name: NS } } });
  const config = loadApiConfig({
    CODERUN_API_HOST: '127.0.0.1',
    CODERUN_API_PORT: '0',
    CODERUN_RUN_NAMESPACE: NS,
    SANDBOX_EXECUTOR_MANAGER_API_TOKEN: TOKEN,
    HOSTNAME: 'api-watch-test',
    CODERUN_START_BUDGET: '120',
    CODERUN_WATCH_LIVENESS: '10',
  });
  api = await startApi({ config, kube, policy: testPolicy(), log });
  const address = api.app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

test.after(async () => {
  await api?.stop();
  await plane?.stop();
});

function postRun(marker: string): Promise<Response> {
  const code = `def main():\n    return ${JSON.stringify(marker)}\n`;
  return fetch(`${base}/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ code_b64: Buffer.from(code).toString('base64'), language: 'python' }),
  });
}

/** The CodeRun the API created for the request in flight. */
function createdRun(): Promise<CodeRun> {
  return waitFor('the API to create a CodeRun', async () => {
    const list = await runs.list(NS, `${ORIGIN_LABEL}=api`);
    return list.items.find((r) => !answered.has(r.metadata.name));
  });
}

/** Writes the outcome as the controller would, retrying while the API server is coming back. */
async function finish(run: CodeRun, stdout: string): Promise<void> {
  answered.add(run.metadata.name);
  await waitFor(
    'the API server to accept the status',
    async () => {
      const current = await runs.get(NS, run.metadata.name);
      await runs.replaceStatus(current, {
        phase: 'Succeeded',
        reason: 'Completed',
        exitCode: 0,
        durationMs: 5,
        stdout,
        stderr: '',
        result: { present: true, value: stdout.trim() },
      });
      return true;
    },
    60_000,
  );
}

async function answerOf(response: Promise<Response>): Promise<{ status: string; stdout: string }> {
  const res = await response;
  assert.is(res.status, 200);
  return (await res.json()) as { status: string; stdout: string };
}

/** Writes and deletes ConfigMaps so etcd's revision moves on, as any busy cluster's does. */
async function churn(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const name = `churn-${Date.now()}-${i}`;
    await kube.core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name } } });
    await kube.core.deleteNamespacedConfigMap({ namespace: NS, name });
  }
}

test('a run is answered after a quiet spell in which the API server ended the watch several times', async () => {
  await new Promise((r) => setTimeout(r, 25_000));
  const response = postRun('after quiet');
  await finish(await createdRun(), 'after quiet\n');
  const body = await answerOf(response);
  assert.is(body.status, 'success');
  assert.is(body.stdout, 'after quiet\n');
  assert.ok(api.watcher.health.watching, 'the watch is open again');
});

test('a waiting request is answered across etcd compaction and an API server restart (410 on resume)', async () => {
  const response = postRun('across 410');
  const run = await createdRun();
  await churn(5);
  await plane.compactEtcd();
  await plane.stopComponent('kube-apiserver');
  await plane.startComponent('kube-apiserver');
  // The restarted API server's watch cache starts after the watcher's resource version: it answers 410.
  await waitFor('the watcher to see the 410', async () => /410/.test(api.watcher.health.lastEnd ?? ''));
  await finish(run, 'across 410\n');
  const body = await answerOf(response);
  assert.is(body.status, 'success');
  assert.is(body.stdout, 'across 410\n');
  await waitFor('the watch to be open again', async () => api.watcher.health.watching);
});

test('a waiting request is answered across an etcd restart', async () => {
  const response = postRun('across etcd');
  const run = await createdRun();
  await plane.stopComponent('etcd');
  await new Promise((r) => setTimeout(r, 2000));
  await plane.startComponent('etcd');
  await finish(run, 'across etcd\n');
  const body = await answerOf(response);
  assert.is(body.status, 'success');
  assert.is(body.stdout, 'across etcd\n');
});

test('liveness fails once the watch has been down past its bound, and recovers with the API server', async () => {
  const health = () => fetch(`${base}/healthz`).then(async (r) => ({ code: r.status, body: await r.json() }));
  assert.is((await health()).code, 200);
  await plane.stopComponent('kube-apiserver');
  try {
    const down = await waitFor(
      '/healthz to fail',
      async () => {
        const h = await health();
        return h.code === 503 ? h : undefined;
      },
      30_000,
    );
    assert.match(down.body.detail, /the CodeRun watch has been down for \d+ s/);
  } finally {
    await plane.startComponent('kube-apiserver');
  }
  await waitFor('/healthz to pass again', async () => (await health()).code === 200, 30_000);
  const response = postRun('after recovery');
  await finish(await createdRun(), 'after recovery\n');
  assert.is((await answerOf(response)).stdout, 'after recovery\n');
});

test.run();
