import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startApi } from '../../src/api/start.ts';
import { CodeRunClient } from '../../src/coderun/client.ts';
import type { CodeRun } from '../../src/coderun/schema.ts';
import { SELF_TEST_REQUEST_ANNOTATION } from '../../src/coderun/self-test-status.ts';
import { loadApiConfig } from '../../src/config/api.ts';
import { type RunningController, startController } from '../../src/controller/leader.ts';
import {
  PROBE_SOURCE,
  probeSpec,
  SELF_TEST_LABEL,
  SELF_TEST_LABEL_VALUE,
} from '../../src/controller/self-test.ts';
import { type KubeClients, makeClients } from '../../src/kube/client.ts';
import { createLogger } from '../../src/log.ts';
import { testConfig, testPolicy } from '../fixtures.ts';
import { report, ScriptedRunner, setContainerState, waitFor } from '../harness/cluster-actors.ts';
import { type ControlPlane, prepareSandboxCluster, startControlPlane } from '../harness/control-plane.ts';

const NS = 'selftest-sandbox';
const OPERATOR_NS = 'selftest-operator';
const CONFIGMAP = 'coderun-self-test';
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'test');

let plane: ControlPlane;
let kube: KubeClients;
let runs: CodeRunClient;
let controller: RunningController;
const runner = new ScriptedRunner();
const apis: Awaited<ReturnType<typeof startApi>>[] = [];

/** What the probe returns where everything holds (as on the local gVisor cluster). */
function isolated(): Record<string, unknown> {
  return {
    kernel: {
      release: '4.19.0-gvisor',
      version: 'Linux version 4.19.0-gvisor #1 SMP Sun Jan 10 15:06:54 PST 2016',
    },
    seccomp: { call: 'socket(AF_VSOCK)', errno: 'EPERM' },
    network: [{ target: '10.96.0.1:443', outcome: 'ENETUNREACH', ms: 0 }],
    serviceAccount: { mounted: false, token: false },
    identity: { uid: 65534, euid: 65534, gid: 65534, capEff: '0000000000000000', capBnd: '0000000000000000' },
  };
}

const probeRuns = async () =>
  (await runs.list(NS, `${SELF_TEST_LABEL}=${SELF_TEST_LABEL_VALUE}`)).items.sort((a, b) =>
    a.metadata.name.localeCompare(b.metadata.name),
  );

/** Plays the kubelet and the runner for the next probe run that has no answer yet; returns it and its job. */
async function answerNextProbe(value: unknown, seen: Set<string>): Promise<{ run: CodeRun; job: string }> {
  const run = await waitFor('a new probe run with its sandbox Pod', async () =>
    (await probeRuns()).find((r) => !seen.has(r.metadata.name) && r.status?.podName),
  );
  seen.add(run.metadata.name);
  const podName = run.status?.podName as string;
  await setContainerState(kube, NS, podName, { running: { startedAt: new Date() } });
  const job = await runner.jobFor(NS, podName);
  runner.answer(NS, podName, report({ stdout: '', result: { present: true, value } }));
  return { run, job };
}

const configMap = () => kube.core.readNamespacedConfigMap({ namespace: OPERATOR_NS, name: CONFIGMAP });

async function metric(name: string, labels = ''): Promise<number | undefined> {
  const text = await controller.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.split(' ')[1]) : undefined;
}

async function eventsOn(run: CodeRun): Promise<{ type?: string; reason?: string; message?: string }[]> {
  const list = await kube.core.listNamespacedEvent({
    namespace: NS,
    fieldSelector: `involvedObject.name=${run.metadata.name}`,
  });
  return list.items.map((e) => ({ type: e.type, reason: e.reason, message: e.message }));
}

async function startApiReplica(env: Record<string, string>): Promise<string> {
  const config = loadApiConfig({
    CODERUN_API_HOST: '127.0.0.1',
    CODERUN_API_PORT: '0',
    CODERUN_RUN_NAMESPACE: NS,
    POD_NAMESPACE: OPERATOR_NS,
    SANDBOX_EXECUTOR_MANAGER_API_TOKEN: 'token',
    HOSTNAME: `api-${apis.length}`,
    ...env,
  });
  const api = await startApi({ config, kube, policy: testPolicy(), log });
  apis.push(api);
  const address = api.app.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

async function readyz(base: string): Promise<{ status: number; detail?: string }> {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, detail: ((await res.json()) as { detail?: string }).detail };
}

const seen = new Set<string>();

test.before(async () => {
  plane = await startControlPlane({ crdDir: new URL('../../crds', import.meta.url).pathname });
  kube = makeClients(plane.kubeConfig);
  runs = new CodeRunClient(kube);
  await prepareSandboxCluster(plane.kubeConfig, NS, OPERATOR_NS);
  controller = startController({
    kube,
    config: testConfig({
      CODERUN_NAMESPACES: NS,
      POD_NAMESPACE: OPERATOR_NS,
      CODERUN_LEADER_ELECTION: 'false',
      CODERUN_SELF_TEST: 'true',
      CODERUN_SELF_TEST_INTERVAL: '0',
      CODERUN_START_TIMEOUT: '60',
    }),
    policy: testPolicy(),
    channel: runner,
    log,
    onLostLeadership: () => undefined,
    selfTestRequestPollMs: 200,
  });
});

test.after(async () => {
  for (const api of apis) await api.stop();
  await controller?.stop();
  await plane?.stop();
});

test('at start-up the controller runs its probe like any run and publishes the pass: condition, Event, metrics', async () => {
  const { run, job } = await answerNextProbe(isolated(), seen);
  // The policy would refuse the probe (sockets, os.geteuid); the controller's own probe went through.
  const server = new URL(plane.kubeConfig.getCurrentCluster()?.server as string);
  const sent = JSON.parse(job) as { source: string; arguments: unknown };
  assert.is(sent.source, PROBE_SOURCE);
  assert.equal(sent.arguments, { targets: [[server.hostname, Number(server.port)]] });

  const data = await waitFor('the published pass', async () => {
    const cm = await configMap();
    return cm.data?.status === 'True' ? cm.data : null;
  });
  assert.equal(
    [data.type, data.reason, data.probeRun],
    ['IsolationVerified', 'Passed', `${NS}/${run.metadata.name}`],
  );
  assert.match(data.message ?? '', 'isolation self-test passed');
  assert.equal(
    (JSON.parse(data.checks ?? '[]') as { name: string; passed: boolean }[]).map((c) => c.passed),
    [true, true, true, true, true, true],
  );

  assert.is(await metric('coderun_isolation_self_test_passed'), 1);
  assert.is(await metric('coderun_isolation_self_test_check_passed', '{check="seccomp"}'), 1);
  assert.ok(((await metric('coderun_isolation_self_test_timestamp_seconds')) ?? 0) > 0);
  const finished = await runs.get(NS, run.metadata.name);
  assert.is(finished.status?.phase, 'Succeeded');
  const events = await waitFor('the pass Event on the probe run', async () => {
    const all = await eventsOn(run);
    return all.some((e) => e.reason === 'IsolationSelfTestPassed') ? all : null;
  });
  assert.equal(
    events.filter((e) => e.reason === 'IsolationSelfTestPassed').map((e) => e.type),
    ['Normal'],
  );
});

test("the API's readiness requires the self-test only when told to, and then follows the published result", async () => {
  const plain = await startApiReplica({});
  const gated = await startApiReplica({ CODERUN_REQUIRE_SELF_TEST: 'true' });
  const missing = await startApiReplica({
    CODERUN_REQUIRE_SELF_TEST: 'true',
    CODERUN_SELF_TEST_CONFIGMAP: 'no-such-configmap',
  });
  await waitFor('the gated API to be ready after the pass', async () => (await readyz(gated)).status === 200);
  assert.is((await readyz(plain)).status, 200);
  const unready = await readyz(missing);
  assert.is(unready.status, 503);
  assert.match(unready.detail ?? '', 'the isolation self-test has not published a result yet');
});

test('an annotation asks for a run now; a node that ignores the seccomp profile fails it, loudly, with the fix', async () => {
  const before = (await configMap()).data;
  const cm = await configMap();
  cm.metadata = {
    ...cm.metadata,
    annotations: { ...cm.metadata?.annotations, [SELF_TEST_REQUEST_ANNOTATION]: 'request-1' },
  };
  await kube.core.replaceNamespacedConfigMap({ namespace: OPERATOR_NS, name: CONFIGMAP, body: cm });

  const noSeccomp = { ...isolated(), seccomp: { call: 'socket(AF_VSOCK)', errno: 'EAFNOSUPPORT' } };
  const { run } = await answerNextProbe(noSeccomp, seen);
  const data = await waitFor('the published failure', async () => {
    const current = await configMap();
    return current.data?.status === 'False' ? current.data : null;
  });
  assert.equal(
    [data.reason, data.probeRun, data.handledRequest],
    ['ChecksFailed', `${NS}/${run.metadata.name}`, 'request-1'],
  );
  assert.match(data.message ?? '', 'isolation self-test failed (seccomp)');
  assert.match(data.message ?? '', "the node's runsc is not configured with oci-seccomp = true");
  assert.is.not(data.lastTransitionTime, before?.lastTransitionTime);
  assert.is(await metric('coderun_isolation_self_test_passed'), 0);
  assert.is(await metric('coderun_isolation_self_test_check_passed', '{check="seccomp"}'), 0);
  assert.is(await metric('coderun_isolation_self_test_check_passed', '{check="gvisor-kernel"}'), 1);
  const warning = await waitFor('the Warning Event on the probe run', async () =>
    (await eventsOn(run)).find((e) => e.reason === 'IsolationSelfTestFailed'),
  );
  assert.is(warning.type, 'Warning');
  assert.match(warning.message ?? '', 'oci-seccomp');

  // The API that requires the self-test is unready now, and says why.
  const gated = await startApiReplica({ CODERUN_REQUIRE_SELF_TEST: 'true' });
  const unready = await waitFor('the gated API to be unready', async () => {
    const r = await readyz(gated);
    return r.status === 503 ? r : null;
  });
  assert.match(unready.detail ?? '', 'oci-seccomp');

  // The handled request is not run again; a new value is.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.is((await probeRuns()).length, seen.size);
  const again = await configMap();
  again.metadata = {
    ...again.metadata,
    annotations: { ...again.metadata?.annotations, [SELF_TEST_REQUEST_ANNOTATION]: 'request-2' },
  };
  await kube.core.replaceNamespacedConfigMap({ namespace: OPERATOR_NS, name: CONFIGMAP, body: again });
  await answerNextProbe(isolated(), seen);
  await waitFor('the pass again', async () => (await configMap()).data?.status === 'True');
  await waitFor('the gated API to be ready again', async () => (await readyz(gated)).status === 200);
});

test('the self-test label on another program, or on the probe with other arguments, exempts nothing from the policy', async () => {
  const labels = { [SELF_TEST_LABEL]: SELF_TEST_LABEL_VALUE };
  const other = await runs.create({
    namespace: NS,
    name: 'impostor',
    labels,
    spec: {
      language: 'python',
      source: 'import ctypes\n\ndef main(targets):\n    return ctypes.CDLL(None).getpid()\n',
      arguments: { targets: [] },
    },
  });
  const widened = await runs.create({
    namespace: NS,
    name: 'probe-with-more',
    labels,
    spec: { ...probeSpec([]), arguments: { targets: [], extra: 'x' } },
  });
  for (const created of [other, widened]) {
    const done = await waitFor(`${created.metadata.name} to be refused`, async () => {
      const r = await runs.get(NS, created.metadata.name);
      return r.status?.phase === 'Failed' ? r : null;
    });
    assert.is(done.status?.reason, 'PolicyRejected', created.metadata.name);
    assert.is(done.status?.podName, undefined, `${created.metadata.name} got a sandbox Pod`);
  }
});

test.run();
