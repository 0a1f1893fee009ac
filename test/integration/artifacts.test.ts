// Artifacts and whole outputs against a real etcd + kube-apiserver and a real S3-compatible server
// (test/harness/s3-server.ts): the test plays the kubelet and the runner (its files come back as a real tar
// stream); the controller, the store and the API's reads are the real ones.
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withFullOutput } from '../../src/api/artifacts.ts';
import { S3ArtifactStore } from '../../src/artifacts/s3-store.ts';
import { CodeRunClient } from '../../src/coderun/client.ts';
import type { CodeRun } from '../../src/coderun/schema.ts';
import { type RunningController, startController } from '../../src/controller/leader.ts';
import { type KubeClients, makeClients } from '../../src/kube/client.ts';
import { createLogger } from '../../src/log.ts';
import { testConfig, testPolicy } from '../fixtures.ts';
import { report, ScriptedRunner, setContainerState, waitFor } from '../harness/cluster-actors.ts';
import { type ControlPlane, prepareSandboxCluster, startControlPlane } from '../harness/control-plane.ts';
import { type S3Server, startS3Server } from '../harness/s3-server.ts';

const NS = 'art';
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'test');
let plane: ControlPlane;
let s3: S3Server;
let store: S3ArtifactStore;
let kube: KubeClients;
let runs: CodeRunClient;
let runner: ScriptedRunner;
let controller: RunningController | undefined;
let env: Record<string, string>;
let counter = 0;

function start(): RunningController {
  return startController({
    kube,
    config: testConfig({ CODERUN_LEADER_ELECTION: 'false', CODERUN_START_TIMEOUT: '20', ...env }),
    policy: testPolicy(),
    channel: runner,
    log,
    onLostLeadership: () => log.warn('test controller lost leadership'),
  });
}

test.before(async () => {
  try {
    [plane, s3] = await Promise.all([
      startControlPlane({ crdDir: new URL('../../crds', import.meta.url).pathname }),
      startS3Server(),
    ]);
  } catch (err) {
    console.error(err);
    throw err;
  }
  process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
  env = {
    CODERUN_ARTIFACTS_STORE: 's3',
    CODERUN_ARTIFACTS_S3_ENDPOINT: s3.endpoint,
    CODERUN_ARTIFACTS_S3_REGION: s3.region,
    CODERUN_ARTIFACTS_S3_BUCKET: s3.bucket,
    CODERUN_ARTIFACTS_S3_PREFIX: 'runs/',
  };
  store = new S3ArtifactStore({
    kind: 's3',
    endpoint: s3.endpoint,
    region: s3.region,
    bucket: s3.bucket,
    prefix: 'runs/',
    forcePathStyle: true,
    createBucket: false,
  });
  kube = makeClients(plane.kubeConfig);
  runs = new CodeRunClient(kube);
  await prepareSandboxCluster(plane.kubeConfig, NS);
  runner = new ScriptedRunner();
  controller = start();
});

test.after(async () => {
  await controller?.stop();
  await plane?.stop();
  await s3?.stop();
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function create(ttl?: number): Promise<CodeRun> {
  counter += 1;
  return runs.create({
    namespace: NS,
    name: `run-${counter}`,
    spec: {
      language: 'python',
      source: 'def main():\n    return 1\n',
      arguments: {},
      ...(ttl === undefined ? {} : { ttlSecondsAfterFinished: ttl }),
    },
  });
}

async function started(run: CodeRun): Promise<string> {
  const current = await waitFor(`${run.metadata.name} to get a pod`, async () => {
    const r = await runs.get(NS, run.metadata.name);
    return r.status?.podName ? r : null;
  });
  const pod = current.status?.podName as string;
  await setContainerState(kube, NS, pod, { running: { startedAt: new Date() } });
  await runner.jobFor(NS, pod);
  return pod;
}

const finished = (run: CodeRun, timeoutMs = 30_000) =>
  waitFor(
    `${run.metadata.name} to finish`,
    async () => {
      const r = await runs.get(NS, run.metadata.name);
      return r.status?.phase === 'Succeeded' || r.status?.phase === 'Failed' ? r : null;
    },
    timeoutMs,
  );

async function bytesAt(key: string): Promise<Buffer | null> {
  const object = await store.get(key);
  if (!object) return null;
  const chunks: Buffer[] = [];
  for await (const c of object.body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('listed files are fetched from the sandbox into the store, checked against their sha256, and the status lists them', async () => {
  const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(3 * 2 ** 20, 1)]);
  const csv = Buffer.from('a,b\n1,2\n');
  const swapped = Buffer.from('{"changed":true}');
  const run = await create();
  const pod = await started(run);
  runner.setFiles(NS, pod, { 'chart.png': png, 'data.csv': csv, 'later.json': swapped });
  runner.answer(
    NS,
    pod,
    report({
      artifacts: [
        { name: 'chart.png', mimeType: 'image/png', size: png.length, sha256: sha(png) },
        { name: 'data.csv', mimeType: 'text/csv', size: csv.length, sha256: sha(csv) },
        // The runner hashed other bytes than the sandbox now holds (a stray process rewrote the file).
        {
          name: 'later.json',
          mimeType: 'application/json',
          size: swapped.length,
          sha256: sha(Buffer.from('x')),
        },
      ],
      skippedArtifacts: [{ name: 'big.csv', reason: 'too-large', size: 11 * 2 ** 20 }],
    }),
  );
  const done = await finished(run);
  assert.is(done.status?.phase, 'Succeeded');
  const folder = `runs/${NS}/${run.metadata.name}/${run.metadata.uid}/`;
  assert.equal(done.status?.artifacts, [
    {
      name: 'chart.png',
      mimeType: 'image/png',
      size: png.length,
      sha256: sha(png),
      location: `s3://${s3.bucket}/${folder}chart.png`,
    },
    {
      name: 'data.csv',
      mimeType: 'text/csv',
      size: csv.length,
      sha256: sha(csv),
      location: `s3://${s3.bucket}/${folder}data.csv`,
    },
  ]);
  assert.equal(done.status?.skippedArtifacts, [
    { name: 'later.json', reason: 'changed', size: swapped.length },
    { name: 'big.csv', reason: 'too-large', size: 11 * 2 ** 20 },
  ]);
  const key = (name: string) => `${NS}/${run.metadata.name}/${run.metadata.uid}/${name}`;
  assert.ok((await bytesAt(key('chart.png')))?.equals(png));
  assert.is(await bytesAt(key('later.json')), null, 'a file that changed is not kept');
  assert.equal(runner.fetches.at(-1)?.names, ['chart.png', 'data.csv', 'later.json']);
});

test('a run that prints 256 KiB on both streams leaves only previews in etcd, and the API reads back all of it', async () => {
  const big = (c: string) => `${c.repeat(256 * 1024 - 1)}\n`;
  const run = await create();
  const pod = await started(run);
  runner.answer(
    NS,
    pod,
    report({ stdout: big('o'), stderr: big('e'), result: { present: true, value: 'r'.repeat(10_000) } }),
  );
  const done = await finished(run);
  // What etcd holds is what the API server returns for the object.
  const stored = JSON.stringify(
    await kube.custom.getNamespacedCustomObject({
      group: 'coderun.dev',
      version: 'v1alpha1',
      namespace: NS,
      plural: 'coderuns',
      name: run.metadata.name,
    }),
  );
  assert.ok(stored.length < 16 * 1024, `the object is ${stored.length} bytes`);
  assert.is(done.status?.stdout?.length, 4096);
  assert.equal(done.status?.result, { present: true });
  assert.equal(done.status?.fullOutput?.stdoutBytes, 256 * 1024);
  const whole = await withFullOutput(store, done);
  assert.is(whole.status?.stdout, big('o'));
  assert.is(whole.status?.stderr, big('e'));
  assert.equal(whole.status?.result, { present: true, value: 'r'.repeat(10_000) });
});

test('a controller restarted after the program ended, before the status write, reads the Pod log and still stores the files', async () => {
  const csv = Buffer.from('x\n1\n');
  const run = await create();
  const pod = await started(run);
  await controller?.stop();
  controller = undefined;
  // The program ended while no controller was running: the result line is in the Pod log, the files are
  // in the held sandbox, and the Pod still runs.
  runner.hangUp(NS, pod);
  runner.setFiles(NS, pod, { 'late.csv': csv });
  runner.setLog(
    NS,
    pod,
    report({ artifacts: [{ name: 'late.csv', mimeType: 'text/csv', size: csv.length, sha256: sha(csv) }] }),
  );
  const jobsBefore = runner.jobs.get(`${NS}/${pod}`)?.length ?? 0;
  controller = start();
  const done = await finished(run);
  assert.is(done.status?.phase, 'Succeeded');
  assert.equal(
    done.status?.artifacts?.map((a) => a.name),
    ['late.csv'],
  );
  assert.is(runner.jobs.get(`${NS}/${pod}`)?.length ?? 0, jobsBefore, 'no second job was sent');
});

test('after the TTL the run and its folder in the store are gone', async () => {
  const csv = Buffer.from('gone\n');
  const run = await create(2);
  const pod = await started(run);
  runner.setFiles(NS, pod, { 'x.csv': csv });
  runner.answer(
    NS,
    pod,
    report({ artifacts: [{ name: 'x.csv', mimeType: 'text/csv', size: csv.length, sha256: sha(csv) }] }),
  );
  const done = await finished(run);
  assert.is(done.status?.artifacts?.length, 1);
  const key = `${NS}/${run.metadata.name}/${run.metadata.uid}/x.csv`;
  assert.ok(await bytesAt(key));
  await waitFor(
    'the run to be deleted after its TTL',
    async () => !(await runs.get(NS, run.metadata.name).catch(() => null)),
    30_000,
  );
  assert.is(await bytesAt(key), null);
  assert.equal(
    (await store.listRunFolders()).filter((f) => f.includes(run.metadata.uid)),
    [],
  );
});

test.run();
