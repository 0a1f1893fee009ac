// The controller against a real etcd + kube-apiserver + kube-controller-manager. The test plays the kubelet
// (writing Pod status) and the runner (answering the delivered job); everything else is real.
import { CoreV1Api, NodeV1Api } from '@kubernetes/client-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CodeRunClient } from '../../src/coderun/client.ts';
import type { CodeRun, CodeRunSpec } from '../../src/coderun/schema.ts';
import { type RunningController, startController } from '../../src/controller/leader.ts';
import { SANDBOX_SELECTOR } from '../../src/controller/sandbox-pod.ts';
import { apiErrorMessage, type KubeClients, makeClients } from '../../src/kube/client.ts';
import { createLogger } from '../../src/log.ts';
import { testConfig, testPolicy } from '../fixtures.ts';
import { report, ScriptedRunner, setContainerState, waitFor } from '../harness/cluster-actors.ts';
import { type ControlPlane, startControlPlane } from '../harness/control-plane.ts';
import { setUpSuite } from '../suite-setup.ts';

const NS = 'runs';
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'test');
let plane: ControlPlane;
let kube: KubeClients;
let runs: CodeRunClient;
let runner: ScriptedRunner;
let controller: RunningController;
let counter = 0;

function start(env: Record<string, string> = {}, channel = runner): RunningController {
  return startController({
    kube,
    config: testConfig({ CODERUN_LEADER_ELECTION: 'false', CODERUN_START_TIMEOUT: '20', ...env }),
    policy: testPolicy(),
    channel,
    log,
    onLostLeadership: () => log.warn('test controller lost leadership'),
  });
}

async function create(spec: Partial<CodeRunSpec> = {}): Promise<CodeRun> {
  counter += 1;
  return runs.create({
    namespace: NS,
    name: `run-${counter}`,
    spec: {
      language: 'python',
      source: 'def main(a, b):\n    return {"sum": a + b}\n',
      arguments: { a: 1, b: 2 },
      ...spec,
    },
  });
}

async function until(
  run: CodeRun,
  what: string,
  check: (r: CodeRun) => boolean,
  timeoutMs = 30_000,
): Promise<CodeRun> {
  return waitFor(
    `${run.metadata.name}: ${what}`,
    async () => {
      const current = await runs.get(NS, run.metadata.name);
      return check(current) ? current : null;
    },
    timeoutMs,
  );
}

const podOf = (run: CodeRun) =>
  until(run, 'a pod name in status', (r) => Boolean(r.status?.podName)).then(
    (r) => r.status?.podName as string,
  );
const finished = (run: CodeRun) =>
  until(run, 'a terminal phase', (r) => r.status?.phase === 'Succeeded' || r.status?.phase === 'Failed');

/** client-node returns class instances; compare their JSON. */
const plain = (value: unknown) => JSON.parse(JSON.stringify(value ?? null));

async function sandboxPods(runName?: string) {
  const selector = runName ? `${SANDBOX_SELECTOR},coderun.dev/run=${runName}` : SANDBOX_SELECTOR;
  return (await kube.core.listNamespacedPod({ namespace: NS, labelSelector: selector })).items;
}

async function podGone(namespace: string, name: string): Promise<boolean> {
  try {
    await kube.core.readNamespacedPod({ namespace, name });
    return false;
  } catch {
    return true;
  }
}

setUpSuite(test, 'controller integration', async () => {
  plane = await startControlPlane({ crdDir: new URL('../../crds', import.meta.url).pathname });
  kube = makeClients(plane.kubeConfig);
  runs = new CodeRunClient(kube);
  await kube.core.createNamespace({ body: { metadata: { name: NS } } });
  runner = new ScriptedRunner();
  controller = start();
});

test.after(async () => {
  await controller?.stop();
  await plane?.stop();
});

async function refusal(body: object): Promise<string> {
  try {
    await kube.custom.createNamespacedCustomObject({
      group: 'coderun.dev',
      version: 'v1alpha1',
      namespace: NS,
      plural: 'coderuns',
      body,
    });
  } catch (err) {
    return apiErrorMessage(err);
  }
  throw new Error('the API server accepted an invalid CodeRun');
}

const bad = (spec: object) => ({
  apiVersion: 'coderun.dev/v1alpha1',
  kind: 'CodeRun',
  metadata: { generateName: 'bad-' },
  spec,
});

test("the API server refuses a language that cannot name a runtime; an unknown runtime is the controller's to refuse", async () => {
  const message = await refusal(bad({ language: 'Ruby 3', source: 'puts 1' }));
  assert.match(message, 'spec.language');
  assert.match(message, 'should match');
  const failed = await finished(await create({ language: 'ruby', source: 'puts 1' }));
  assert.equal(
    [failed.status?.reason, failed.status?.message],
    ['RuntimeNotFound', 'spec.language: no SandboxRuntime named "ruby"; registered: python, nodejs'],
  );
});

test('the API server refuses a negative timeout', async () => {
  const message = await refusal(bad({ language: 'python', source: '', timeoutSeconds: -1 }));
  assert.match(message, 'spec.timeoutSeconds');
  assert.match(message, 'greater than or equal to 1');
});

test('the API server refuses source over 256 KiB', async () => {
  const message = await refusal(bad({ language: 'python', source: 'x'.repeat(262_145) }));
  assert.match(message, 'spec.source');
  assert.match(message, '262144');
});

test('the API server refuses an edit of the spec', async () => {
  const run = await create({ source: 'import os\n' });
  const current = await finished(run);
  current.spec.source = 'print(2)';
  try {
    await kube.custom.replaceNamespacedCustomObject({
      group: 'coderun.dev',
      version: 'v1alpha1',
      namespace: NS,
      plural: 'coderuns',
      name: run.metadata.name,
      body: current,
    });
    assert.unreachable('the spec edit was accepted');
  } catch (err) {
    assert.match(apiErrorMessage(err), 'spec is immutable');
  }
});

test('a run the policy rejects fails as PolicyRejected and creates no pod', async () => {
  const run = await create({ source: 'import subprocess\nsubprocess.run(["id"])\n' });
  const done = await finished(run);
  assert.is(done.status?.reason, 'PolicyRejected');
  assert.ok(done.status?.policyFindings?.some((f) => f.line === 1));
  assert.is((await sandboxPods(run.metadata.name)).length, 0);
});

test("a missing RuntimeClass fails the run with the API server's reason instead of retrying forever", async () => {
  const run = await create();
  const done = await finished(run);
  assert.is(done.status?.reason, 'SystemError');
  assert.match(done.status?.message ?? '', 'RuntimeClass "gvisor" not found');
  // From here on the cluster has gVisor's RuntimeClass, as a real one would.
  await kube.kubeConfig
    .makeApiClient(NodeV1Api)
    .createRuntimeClass({ body: { metadata: { name: 'gvisor' }, handler: 'runsc' } });
});

test('a run gets exactly one pod carrying every hardening field, accepted by the API server', async () => {
  const run = await create();
  const podName = await podOf(run);
  const pods = await sandboxPods(run.metadata.name);
  assert.is(pods.length, 1);
  const pod = pods[0]!;
  assert.is(pod.metadata?.name, podName);
  assert.is(pod.spec?.runtimeClassName, 'gvisor');
  assert.equal(plain(pod.spec?.securityContext?.seccompProfile), {
    type: 'Localhost',
    localhostProfile: 'coderun/sandbox.json',
  });
  assert.is(pod.spec?.securityContext?.runAsUser, 65534);
  assert.is(pod.spec?.automountServiceAccountToken, false);
  assert.is(pod.spec?.enableServiceLinks, false);
  assert.is(pod.spec?.restartPolicy, 'Never');
  assert.is(pod.spec?.activeDeadlineSeconds, 25); // the default 10 s timeout plus 15 s of grace
  const c = pod.spec?.containers[0];
  assert.is(c?.securityContext?.readOnlyRootFilesystem, true);
  assert.is(c?.securityContext?.allowPrivilegeEscalation, false);
  assert.equal(plain(c?.securityContext?.capabilities?.drop), ['ALL']);
  assert.equal(plain(c?.resources?.limits), { cpu: '1', memory: '256Mi', 'ephemeral-storage': '128Mi' });
  assert.equal(pod.metadata?.ownerReferences?.[0]?.uid, run.metadata.uid);
  assert.is(pod.metadata?.ownerReferences?.[0]?.controller, true);
  await runs.delete(NS, run.metadata.name);
});

test('a completed run is Succeeded with stdout, result and duration, and its pod is deleted', async () => {
  const run = await create();
  const podName = await podOf(run);
  await setContainerState(kube, NS, podName, { running: { startedAt: new Date() } });
  const job = JSON.parse(await runner.jobFor(NS, podName));
  assert.equal(job.arguments, { a: 1, b: 2 });
  assert.is(job.timeoutMs, 10_000);
  runner.answer(NS, podName, report());
  const done = await finished(run);
  assert.is(done.status?.phase, 'Succeeded');
  assert.is(done.status?.reason, 'Completed');
  assert.is(done.status?.exitCode, 0);
  assert.is(done.status?.stdout, 'hello\n');
  assert.equal(done.status?.result, { present: true, value: { sum: 3 } });
  assert.is(done.status?.durationMs, 25);
  assert.ok(done.status?.startTime && done.status?.completionTime);
  assert.is(done.status?.observedGeneration, 1);
  assert.is(done.status?.conditions?.find((c) => c.type === 'Complete')?.status, 'True');
  await waitFor('the sandbox pod to be deleted', () => podGone(NS, podName));
});

test('each transition is recorded as an event on the CodeRun', async () => {
  const run = await create();
  const podName = await podOf(run);
  await setContainerState(kube, NS, podName, { running: { startedAt: new Date() } });
  await runner.jobFor(NS, podName);
  runner.answer(NS, podName, report());
  await finished(run);
  const reasons = await waitFor('three events', async () => {
    const events = await kube.core.listNamespacedEvent({
      namespace: NS,
      fieldSelector: `involvedObject.name=${run.metadata.name}`,
    });
    const seen = events.items.map((e) => e.reason);
    return ['PodCreated', 'Started', 'Succeeded'].every((r) => seen.includes(r)) ? seen : null;
  });
  assert.ok(reasons.length >= 3);
});

test('a non-zero exit is Failed/NonZeroExit with stderr kept', async () => {
  const run = await create();
  const podName = await podOf(run);
  await setContainerState(kube, NS, podName, { running: { startedAt: new Date() } });
  await runner.jobFor(NS, podName);
  runner.answer(
    NS,
    podName,
    report({ exitCode: 1, stdout: '', stderr: 'Traceback: ZeroDivisionError', result: { present: false } }),
  );
  const done = await finished(run);
  assert.is(done.status?.reason, 'NonZeroExit');
  assert.is(done.status?.exitCode, 1);
  assert.match(done.status?.stderr ?? '', 'ZeroDivisionError');
});

test('an OOM-killed sandbox is Failed/OOMKilled', async () => {
  const run = await create();
  const podName = await podOf(run);
  await setContainerState(kube, NS, podName, { running: { startedAt: new Date() } });
  await runner.jobFor(NS, podName);
  await setContainerState(kube, NS, podName, { terminated: { exitCode: 137, reason: 'OOMKilled' } });
  runner.hangUp(NS, podName);
  const done = await finished(run);
  assert.is(done.status?.reason, 'OOMKilled');
  assert.match(done.status?.message ?? '', '256Mi');
});

test("a pod past its deadline without the runner's line moves the run to a fresh sandbox, at most twice, then SystemError", async () => {
  const run = await create({ timeoutSeconds: 2 });
  const pods: string[] = [];
  for (let retries = 0; retries <= 2; retries++) {
    const current = await until(
      run,
      `its sandbox after ${retries} retries`,
      (r) => Boolean(r.status?.podName) && (r.status?.sandboxRetries ?? 0) === retries,
    );
    const podName = current.status?.podName as string;
    // Each time a new Pod: the one that went past its deadline is gone first.
    const pod = await kube.core.readNamespacedPod({ namespace: NS, name: podName });
    pods.push(pod.metadata?.uid ?? '');
    await setContainerState(
      kube,
      NS,
      podName,
      { terminated: { exitCode: 137, reason: 'Error' } },
      {
        phase: 'Failed',
        reason: 'DeadlineExceeded',
        message: 'Pod was active on the node longer than the specified deadline',
      },
    );
  }
  const done = await finished(run);
  assert.equal([done.status?.reason, done.status?.sandboxRetries], ['SystemError', 2]);
  assert.match(
    done.status?.message ?? '',
    'ran past its deadline (timeout 2 s + 15 s grace) without a result line',
  );
  assert.is(new Set(pods).size, 3, 'three sandboxes, one after the other');
});

test('a runner timeout reported in the result line is Failed/TimedOut', async () => {
  const run = await create({ timeoutSeconds: 1 });
  const podName = await podOf(run);
  await setContainerState(kube, NS, podName, { running: { startedAt: new Date() } });
  await runner.jobFor(NS, podName);
  runner.answer(
    NS,
    podName,
    report({ exitCode: null, signal: 'SIGKILL', timedOut: true, result: { present: false } }),
  );
  assert.is((await finished(run)).status?.reason, 'TimedOut');
});

test('an image that cannot be pulled fails the run as ImagePullFailed', async () => {
  const run = await create();
  const podName = await podOf(run);
  await setContainerState(kube, NS, podName, {
    waiting: { reason: 'ErrImageNeverPull', message: 'image not present with pull policy of Never' },
  });
  const done = await finished(run);
  assert.is(done.status?.reason, 'ImagePullFailed');
  assert.match(done.status?.message ?? '', 'image not present');
});

test('a pod deleted by someone else fails the run as PodDeleted', async () => {
  const run = await create();
  const podName = await podOf(run);
  await kube.core.deleteNamespacedPod({ namespace: NS, name: podName, gracePeriodSeconds: 0 });
  const done = await finished(run);
  assert.is(done.status?.reason, 'PodDeleted');
});

test('a finished run is deleted after its ttlSecondsAfterFinished', async () => {
  const run = await create({ source: 'import subprocess\n', ttlSecondsAfterFinished: 3 });
  const done = await finished(run);
  await waitFor('the run to be deleted after its TTL', async () => {
    try {
      await runs.get(NS, run.metadata.name);
      return false;
    } catch {
      return true;
    }
  });
  const waited = Date.now() - new Date(done.status?.completionTime ?? 0).getTime();
  assert.ok(waited >= 2000, `deleted ${waited} ms after completion, before its 3 s TTL`);
});

test('deleting a CodeRun garbage-collects its pod', async () => {
  const run = await create();
  const podName = await podOf(run);
  await runs.delete(NS, run.metadata.name);
  await waitFor('the garbage collector to delete the pod', () => podGone(NS, podName), 60_000);
});

test('a controller restarted mid-run adopts the existing pod instead of creating another', async () => {
  const run = await create();
  const podName = await podOf(run);
  const [original] = await sandboxPods(run.metadata.name);
  await controller.stop();
  await setContainerState(kube, NS, podName, { running: { startedAt: new Date() } });
  // The sandbox finishes while no controller runs; the new one finds the outcome in the Pod log.
  await setContainerState(kube, NS, podName, { terminated: { exitCode: 0, reason: 'Completed' } });
  const fresh = new ScriptedRunner();
  fresh.setLog(NS, podName, report({ stdout: 'from the log\n' }));
  controller = start({}, fresh);
  const done = await finished(run);
  assert.is(done.status?.reason, 'Completed');
  assert.is(done.status?.stdout, 'from the log\n');
  const pods = await sandboxPods(run.metadata.name);
  assert.ok(pods.length === 0 || (pods.length === 1 && pods[0]?.metadata?.uid === original?.metadata?.uid));
  runner = fresh;
});

test('a controller restarted while the sandbox still runs re-attaches to the same pod', async () => {
  const run = await create();
  const podName = await podOf(run);
  const [original] = await sandboxPods(run.metadata.name);
  await controller.stop();
  await setContainerState(kube, NS, podName, { running: { startedAt: new Date() } });
  runner = new ScriptedRunner();
  controller = start();
  await runner.jobFor(NS, podName);
  runner.answer(NS, podName, report());
  assert.is((await finished(run)).status?.reason, 'Completed');
  const events = await kube.core.listNamespacedEvent({
    namespace: NS,
    fieldSelector: `involvedObject.name=${run.metadata.name},reason=PodCreated`,
  });
  assert.is(events.items.length, 1, 'only one pod was ever created');
  const pods = await sandboxPods(run.metadata.name);
  assert.ok(pods.every((p) => p.metadata?.uid === original?.metadata?.uid));
});

test('a second controller replica stays passive while the first holds the lease', async () => {
  await controller.stop();
  const lease = {
    CODERUN_LEADER_ELECTION: 'true',
    CODERUN_LEASE_NAMESPACE: NS,
    CODERUN_LEASE_DURATION: '4',
    CODERUN_LEASE_RENEW_DEADLINE: '3',
    CODERUN_LEASE_RETRY_PERIOD: '1',
  };
  const first = start({ ...lease, POD_NAME: 'first' });
  await waitFor('the first replica to lead', async () => first.isLeader);
  const secondRunner = new ScriptedRunner();
  const second = start({ ...lease, POD_NAME: 'second' }, secondRunner);
  const run = await create();
  const podName = await podOf(run);
  await setContainerState(kube, NS, podName, { running: { startedAt: new Date() } });
  await runner.jobFor(NS, podName);
  assert.is(second.isLeader, false);
  assert.is(secondRunner.jobs.size, 0, 'the passive replica delivered nothing');
  const held = await kube.coordination.readNamespacedLease({ namespace: NS, name: 'coderun-controller' });
  assert.is(held.spec?.holderIdentity, 'first');
  runner.answer(NS, podName, report());
  await finished(run);
  // When the leader steps down, the standby takes over and serves new runs.
  await first.stop();
  await waitFor('the second replica to lead', async () => second.isLeader, 20_000);
  const next = await create();
  const nextPod = await podOf(next);
  await setContainerState(kube, NS, nextPod, { running: { startedAt: new Date() } });
  await secondRunner.jobFor(NS, nextPod);
  secondRunner.answer(NS, nextPod, report());
  assert.is((await finished(next)).status?.phase, 'Succeeded');
  controller = second;
  runner = secondRunner;
});

test('the suite leaves no sandbox pods of finished runs behind', async () => {
  const list = await new CodeRunClient(kube).list(NS);
  const live = new Set(
    list.items
      .filter((r) => r.status?.phase !== 'Succeeded' && r.status?.phase !== 'Failed')
      .map((r) => r.metadata.name),
  );
  const core = plane.kubeConfig.makeApiClient(CoreV1Api);
  await waitFor('pods of finished runs to be deleted', async () => {
    const pods = (await core.listNamespacedPod({ namespace: NS, labelSelector: SANDBOX_SELECTOR })).items;
    return pods.every((p) => live.has(p.metadata?.annotations?.['coderun.dev/run-name'] ?? '')) || null;
  });
});

test.run();
