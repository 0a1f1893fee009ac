import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CodeRunClient } from '../../src/coderun/client.ts';
import type { CodeRun } from '../../src/coderun/schema.ts';
import { type RunningController, startController } from '../../src/controller/leader.ts';
import type { DeliverArguments } from '../../src/controller/sandbox-channel.ts';
import { type ControllerServer, serveController } from '../../src/controller/server.ts';
import { type KubeClients, makeClients } from '../../src/kube/client.ts';
import { createLogger } from '../../src/log.ts';
import type { ParsedReport } from '../../src/runtimes/protocol.ts';
import { testConfig, testPolicy } from '../fixtures.ts';
import { report, ScriptedRunner, setContainerState, waitFor } from '../harness/cluster-actors.ts';
import { type ControlPlane, prepareSandboxCluster, startControlPlane } from '../harness/control-plane.ts';

const NS = 'health';
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'test');

/** The scripted runner, reporting the attach as open the moment the job arrives (the real channel does). */
class AttachingRunner extends ScriptedRunner {
  override deliver(
    ...[namespace, podName, jobLine, signal, onAttached]: DeliverArguments
  ): Promise<ParsedReport | null> {
    onAttached?.();
    return super.deliver(namespace, podName, jobLine, signal);
  }
}

interface Replica {
  running: RunningController;
  server: ControllerServer;
  url: string;
}

let plane: ControlPlane;
let kube: KubeClients;
let runs: CodeRunClient;
const runner = new AttachingRunner();
const replicas: Replica[] = [];

async function startReplica(name: string): Promise<Replica> {
  const config = testConfig({
    POD_NAME: name,
    CODERUN_NAMESPACES: NS,
    CODERUN_START_TIMEOUT: '20',
    // Long enough that the API server outage below does not end the leadership.
    CODERUN_LEASE_DURATION: '60',
    CODERUN_LEASE_RENEW_DEADLINE: '50',
    CODERUN_WATCH_LIVENESS: '10',
    CODERUN_CONTROLLER_HOST: '127.0.0.1',
    CODERUN_CONTROLLER_PORT: '0',
  });
  const running = startController({
    kube,
    config,
    policy: testPolicy(),
    channel: runner,
    log,
    onLostLeadership: () => log.warn({ name }, 'test controller lost leadership'),
  });
  const server = await serveController(config, running, log);
  return { running, server, url: `http://127.0.0.1:${server.port}` };
}

const leader = () => replicas.find((r) => r.running.isLeader) as Replica;
const standby = () => replicas.find((r) => !r.running.isLeader) as Replica;

async function get(
  replica: Replica,
  path: string,
): Promise<{ status: number; body: Record<string, string> }> {
  const res = await fetch(`${replica.url}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

/** One sample of the Prometheus text, matched by name and exactly these labels; undefined when absent. */
async function sample(replica: Replica, name: string, labels: Record<string, string> = {}) {
  const text = await (await fetch(`${replica.url}/metrics`)).text();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((l) => [l[1] as string, l[2] as string]),
    );
    const keys = Object.keys(found);
    if (keys.length === Object.keys(labels).length && keys.every((k) => found[k] === labels[k]))
      return Number(m[3]);
  }
  return undefined;
}

let counter = 0;
async function create(source: string): Promise<CodeRun> {
  counter += 1;
  return runs.create({
    namespace: NS,
    name: `run-${counter}`,
    spec: { language: 'python', source, arguments: { a: 1, b: 2 } },
  });
}

const current = (run: CodeRun) => runs.get(NS, run.metadata.name);

test.before(async () => {
  plane = await startControlPlane({ crdDir: new URL('../../crds', import.meta.url).pathname });
  kube = makeClients(plane.kubeConfig);
  runs = new CodeRunClient(kube);
  await prepareSandboxCluster(plane.kubeConfig, NS);
  replicas.push(await startReplica('controller-a'), await startReplica('controller-b'));
});

test.after(async () => {
  for (const r of replicas) {
    await r.running.stop();
    await r.server.close();
  }
  await plane?.stop();
});

test('the leader is ready once its informers sync, and the standby waiting for the Lease is ready too', async () => {
  await waitFor('one replica to take the Lease', async () => replicas.some((r) => r.running.isLeader));
  assert.is(replicas.filter((r) => r.running.isLeader).length, 1);
  const ready = await waitFor('the leader to be ready', async () => {
    const r = await get(leader(), '/readyz');
    return r.status === 200 ? r : null;
  });
  assert.is(ready.body.role, 'leader');
  assert.match(ready.body.detail ?? '', 'informers synced and watching');
  assert.equal(await get(standby(), '/readyz'), {
    status: 200,
    body: { status: 'ok', role: 'standby', detail: 'standby: waiting for the Lease' },
  });
  for (const r of replicas) assert.is((await get(r, '/healthz')).status, 200);
  assert.is(await sample(leader(), 'coderun_controller_leader'), 1);
  assert.is(await sample(standby(), 'coderun_controller_leader'), 0);
});

test("a finished run is counted by its outcome and sandbox, and its cold Pod's start is timed", async () => {
  const run = await create('def main(a, b):\n    return {"sum": a + b}\n');
  const podName = await waitFor('the run to have a Pod', async () => (await current(run)).status?.podName);
  await setContainerState(kube, NS, podName, { running: { startedAt: new Date() } });
  await runner.jobFor(NS, podName);
  runner.answer(NS, podName, report());
  await waitFor('the run to succeed', async () => (await current(run)).status?.phase === 'Succeeded');

  const outcome = { language: 'python', phase: 'Succeeded', reason: 'Completed', sandbox: 'cold' };
  assert.is(
    await waitFor('the run to be counted', () =>
      sample(leader(), 'coderun_controller_runs_finished_total', outcome),
    ),
    1,
  );
  assert.is(await sample(leader(), 'coderun_controller_pod_start_seconds_count'), 1);
  assert.is(await sample(leader(), 'coderun_controller_job_delivery_seconds_count', { sandbox: 'cold' }), 1);
  assert.ok(
    ((await sample(leader(), 'coderun_controller_reconcile_duration_seconds_count', { kind: 'run' })) ?? 0) >=
      3,
  );
  assert.is(await sample(leader(), 'coderun_controller_attach_failures_total'), 0);
  // Every stage of the run, seen to finished, was timed once.
  for (const stage of ['decide', 'sandbox', 'attach', 'program', 'settle', 'write'])
    assert.is(
      await sample(leader(), 'coderun_controller_run_stage_seconds_count', { sandbox: 'cold', stage }),
      1,
      stage,
    );
  // The standby did nothing.
  assert.is(await sample(standby(), 'coderun_controller_runs_finished_total', outcome), undefined);
});

test('a run the policy refuses is counted with its reason and no sandbox', async () => {
  const run = await create('import subprocess\nsubprocess.run(["id"])\n');
  await waitFor('the run to fail', async () => (await current(run)).status?.reason === 'PolicyRejected');
  const outcome = { language: 'python', phase: 'Failed', reason: 'PolicyRejected', sandbox: 'none' };
  assert.is(
    await waitFor('the run to be counted', () =>
      sample(leader(), 'coderun_controller_runs_finished_total', outcome),
    ),
    1,
  );
});

test('/healthz fails once the watches have been down past the bound, naming them, and recovers with the API server', async () => {
  await plane.stopComponent('kube-apiserver');
  try {
    const down = await waitFor(
      "the leader's /healthz to fail",
      async () => {
        const r = await get(leader(), '/healthz');
        return r.status === 503 ? r : null;
      },
      40_000,
    );
    assert.is(down.body.role, 'leader');
    // The informers lose their watches within a moment of each other; the first past the bound is named.
    assert.match(
      down.body.detail ?? '',
      /(coderuns|sandbox pods|sandbox pools) in health: no watch for 1\d s/,
      down.body.detail,
    );
    // A standby watches nothing, so the outage does not make it restart.
    assert.is((await get(standby(), '/healthz')).status, 200);
  } finally {
    await plane.startComponent('kube-apiserver');
  }
  await waitFor(
    "the leader's /healthz and /readyz to pass again",
    async () =>
      (await get(leader(), '/healthz')).status === 200 && (await get(leader(), '/readyz')).status === 200,
    60_000,
  );
});

test.run();
