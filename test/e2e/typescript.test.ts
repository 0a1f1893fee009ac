// End to end: the typescript runtime, a language added purely as configuration (a SandboxRuntime naming the
// Node.js sandbox image with main.ts), runs real CodeRuns in real gVisor Pods on the local cluster with the
// same cases as Python and Node.js in sandbox.test.ts: main returns an object, an async main is awaited,
// throwing exits 1, and the kernel the program sees is gVisor's. The controller runs here, as there; the
// static policy is off (the typescript policy has its unit tests). The runtime is the chart's when make up
// registered it; otherwise the suite registers it and removes it afterwards.
import { release } from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CodeRunClient } from '../../src/coderun/client.ts';
import { RUNTIME_PLURAL, type SandboxRuntime } from '../../src/coderun/sandbox-runtime.ts';
import { VERSION as API_VERSION, type CodeRun, type CodeRunSpec, GROUP } from '../../src/coderun/schema.ts';
import type { RunningController } from '../../src/controller/leader.ts';
import { SANDBOX_SELECTOR } from '../../src/controller/sandbox-pod.ts';
import type { KubeClients } from '../../src/kube/client.ts';
import { createLogger } from '../../src/log.ts';
import { VERSION } from '../../src/version.ts';
import { waitFor } from '../harness/cluster-actors.ts';
import { installCrds } from '../harness/control-plane.ts';
import { setUpSuite } from '../suite-setup.ts';
import {
  connectCluster,
  describeRun,
  ensureImagesImported,
  GVISOR_KERNEL,
  startE2eController,
  waitForRunEnd,
} from './support.ts';

const NS = `e2e-ts-${Date.now().toString(36)}`;
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'e2e');
const runtimeApi = { group: GROUP, version: API_VERSION, plural: RUNTIME_PLURAL };
let kube: KubeClients;
let runs: CodeRunClient;
let controller: RunningController;
let registeredHere = false;
let counter = 0;

/** What the chart registers (charts/coderun/values.yaml, runtimes.typescript), with make up's Node.js image. */
const TYPESCRIPT: SandboxRuntime = {
  apiVersion: 'coderun.dev/v1alpha1',
  kind: 'SandboxRuntime',
  metadata: { name: 'typescript' },
  spec: {
    aliases: ['ts'],
    image: `coderun/sandbox-nodejs:${VERSION}`,
    programFile: 'main.ts',
    policy: 'typescript',
  },
};

async function registeredRuntime(): Promise<SandboxRuntime | undefined> {
  try {
    return (await kube.custom.getClusterCustomObject({
      ...runtimeApi,
      name: 'typescript',
    })) as SandboxRuntime;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}

setUpSuite(test, 'typescript e2e', async () => {
  await ensureImagesImported(['sandbox-nodejs.tar']);
  const cluster = connectCluster();
  kube = cluster.kube;
  runs = new CodeRunClient(kube);
  await installCrds(cluster.kc, new URL('../../crds', import.meta.url).pathname);
  if (!(await registeredRuntime())) {
    await kube.custom.createClusterCustomObject({ ...runtimeApi, body: TYPESCRIPT });
    registeredHere = true;
  }
  const runtime = await registeredRuntime();
  assert.equal(
    [runtime?.spec.programFile, runtime?.spec.policy],
    ['main.ts', 'typescript'],
    'the typescript SandboxRuntime',
  );
  await kube.core.createNamespace({ body: { metadata: { name: NS } } });
  // Started after the runtime exists: the controller's first list of SandboxRuntimes holds it.
  // As in sandbox.test.ts: make up's warm pools hold most of this node's CPU requests.
  controller = startE2eController(kube, NS, log, { CODERUN_CPU_REQUEST: '200m' });
});

test.after(async () => {
  await controller?.stop();
  await kube?.core.deleteNamespace({ name: NS }).catch(() => undefined);
  if (registeredHere) {
    await kube.custom.deleteClusterCustomObject({ ...runtimeApi, name: 'typescript' }).catch(() => undefined);
  }
});

/** Runs one TypeScript program to its end and deletes the CodeRun afterwards (its Pod goes with it). */
async function execute(spec: Partial<CodeRunSpec> & Pick<CodeRunSpec, 'source'>): Promise<CodeRun> {
  counter += 1;
  const created = await runs.create({
    namespace: NS,
    name: `ts-run-${counter}`,
    spec: { language: 'typescript', arguments: {}, timeoutSeconds: 30, ...spec },
  });
  try {
    return await waitForRunEnd(runs, NS, created.metadata.name, 180_000);
  } finally {
    await runs.delete(NS, created.metadata.name).catch(() => undefined);
  }
}

function succeeded(run: CodeRun): unknown {
  assert.is(run.status?.phase, 'Succeeded', describeRun(run));
  return run.status?.result?.value;
}

test('typescript: main returns an object', async () => {
  const run = await execute({
    source:
      'interface Sum { a: number; b: number }\nexport function main({ a, b }: Sum): { sum: number } {\n  return { sum: a + b };\n}\n',
    arguments: { a: 2, b: 40 },
  });
  assert.equal(succeeded(run), { sum: 42 });
});

test('typescript: an async main is awaited', async () => {
  const run = await execute({
    source:
      'async function main(args: { n: number }): Promise<{ waited: boolean; n: number }> {\n  await new Promise<void>((r) => setTimeout(r, 50));\n  return { waited: true, n: args.n };\n}\n',
    arguments: { n: 7 },
  });
  assert.equal(succeeded(run), { waited: true, n: 7 });
});

test('typescript: the alias ts names the runtime, and main.ts is what runs', async () => {
  const run = await execute({
    language: 'ts',
    source:
      "import { basename } from 'node:path';\nexport const main = (): string => basename(process.argv[1] ?? '');\n",
  });
  assert.is(succeeded(run), 'main.ts');
});

test('typescript: throwing exits 1 with the stack on stderr', async () => {
  const run = await execute({
    source: "function main(): never {\n  throw new Error('kaboom');\n}\n",
  });
  assert.is(run.status?.reason, 'NonZeroExit', describeRun(run));
  assert.is(run.status?.exitCode, 1);
  assert.match(run.status?.stderr ?? '', 'kaboom');
});

test("isolation: the kernel a TypeScript program sees is gVisor's, not the host's", async () => {
  const run = await execute({
    source: "import { release } from 'node:os';\nexport function main(): string {\n  return release();\n}\n",
  });
  const kernel = succeeded(run) as string;
  assert.is.not(kernel, release());
  assert.match(kernel, GVISOR_KERNEL);
});

test('the suite leaves no sandbox pods behind', async () => {
  await waitFor(
    'every sandbox pod to be gone',
    async () => {
      const pods = await kube.core.listNamespacedPod({ namespace: NS, labelSelector: SANDBOX_SELECTOR });
      return pods.items.length === 0;
    },
    120_000,
  );
});

test.run();
