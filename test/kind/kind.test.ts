// The kind tier (`make test-kind`): coderun as a laptop user gets it, `CLUSTER=kind make up` on a kind cluster
// created from kind-config.yaml exactly as shipped (runsc handler with oci-seccomp, the seccomp profile
// mounted, the chart's `gvisor` RuntimeClass, the images loaded with `kind load`), reached on
// localhost:9385 through kind's port mapping. It proves RAGFlow's contract over that endpoint, the samples
// through kubectl, artifacts, and isolation from inside a sandbox (gVisor's kernel, seccomp's EPERM, no
// network, no token), then that `make down` takes kind away and leaves the host as it found it.
// hack/test-kind.sh runs it: it frees localhost:9385 from the local cluster's release first and points
// CODERUN_E2E_KUBECONFIG at kind's kubeconfig.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CodeRunClient } from '../../src/coderun/client.ts';
import { CHECK_NAMES } from '../../src/controller/self-test.ts';
import { CHART_PROGRAM, decoded, SAMPLES, validPng } from '../e2e/expectations.ts';
import {
  command,
  connectCluster,
  GVISOR_KERNEL,
  KUBECONFIG,
  kubectl,
  LOCAL_API,
  LOCAL_SANDBOX_NAMESPACE,
  postLocalRun,
  REPO,
  waitForRunEnd,
} from '../e2e/support.ts';
import { waitFor } from '../harness/cluster-actors.ts';
import { setUpSuite } from '../suite-setup.ts';
import { type HostState, hostState } from './host-state.ts';

const KIND_KUBECONFIG = join(REPO, '.dev', 'kind', 'kubeconfig');
const RECORDED_CLUSTER = join(REPO, '.dev', 'cluster');
const readText = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').trim() : '');
const recordedCluster = () => readText(RECORDED_CLUSTER);
/** `make up`'s release ran on the local cluster (the e2e tier's, under make test): it is given back at the end. */
const localReleaseBefore = recordedCluster() === 'local';
let token = '';
/** The host before the tier started anything. */
let before: HostState;
let engineRunningBefore = false;

setUpSuite(test, 'kind tier', async () => {
  // The tier must talk to kind, never to whatever cluster the e2e tier used.
  assert.is(
    KUBECONFIG,
    KIND_KUBECONFIG,
    'CODERUN_E2E_KUBECONFIG must be .dev/kind/kubeconfig (make test-kind sets it)',
  );
  engineRunningBefore = readText(join(REPO, '.dev', 'kind', 'engine')) === 'coderun';
  before = hostState();
  // localhost:9385 can belong to one cluster only: the local cluster's release (the e2e tier's) goes, the
  // local cluster keeps running, and the last test installs the release there again.
  if (localReleaseBefore) await command('env', ['KEEP_CLUSTER=1', join(REPO, 'hack', 'down.sh')], 900_000);
  await command('env', ['CLUSTER=kind', join(REPO, 'hack', 'up.sh')], 3_600_000);
  assert.is(recordedCluster(), 'kind', 'make up ran on kind');
  token = (await command(join(REPO, 'hack', 'deploy.sh'), ['token'])).trim();
});

// ---- the cluster kind-config.yaml makes ----

test('the node is kind\'s, and the chart\'s RuntimeClass "gvisor" names the runsc handler kind-config.yaml configures', async () => {
  const nodes = (await kubectl('get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}')).trim();
  assert.is(nodes, 'coderun-control-plane', 'the kind node of cluster "coderun"');
  assert.is((await kubectl('get', 'runtimeclass', 'gvisor', '-o', 'jsonpath={.handler}')).trim(), 'runsc');
});

// ---- RAGFlow's contract on localhost:9385 ----

test(`POST /run on ${LOCAL_API.host}:${LOCAL_API.port} runs Python in gVisor: success, the result and the stdout`, async () => {
  const code = `import platform

def main(name):
    print(f"hello, {name}")
    return {"greeting": f"hello, {name}", "kernel": platform.release()}
`;
  const { status, body } = await postLocalRun(token, { code, arguments: { name: 'kind' } });
  assert.is(status, 200);
  assert.is(body.status, 'success', body.stderr);
  assert.is(body.exit_code, 0);
  assert.is(body.stdout, 'hello, kind\n');
  const value = body.result?.value as { greeting: string; kernel: string };
  assert.is(value.greeting, 'hello, kind');
  assert.match(value.kernel, GVISOR_KERNEL, "the program sees gVisor's kernel, not the host's");
});

test('Node.js: a RAGFlow-style main(args) gets the arguments and returns the result', async () => {
  const code = 'function main(args) {\n  console.log("adding");\n  return { sum: args.a + args.b };\n}\n';
  const { body } = await postLocalRun(token, { code, language: 'nodejs', arguments: { a: 2, b: 40 } });
  assert.is(body.status, 'success', body.stderr);
  assert.is(body.stdout, 'adding\n');
  assert.equal(body.result, { present: true, value: { sum: 42 }, type: 'json' });
});

test('an exception is a program_error with the traceback', async () => {
  const failed = (await postLocalRun(token, { code: 'def main():\n    raise ValueError("boom")\n' })).body;
  assert.is(failed.status, 'program_error', JSON.stringify(failed));
  assert.is(failed.exit_code, 1);
  assert.match(failed.stderr, 'ValueError: boom');
});

test('an unsafe program is -999 "Code is unsafe", naming the line', async () => {
  const refused = (await postLocalRun(token, { code: 'import subprocess\nsubprocess.run(["id"])\n' })).body;
  assert.is(refused.exit_code, -999);
  assert.is(refused.detail, 'Code is unsafe');
  assert.match(refused.stderr, /^Line 1: .*\bsubprocess\b/);
});

test('/run without the token is 401', async () => {
  const res = await fetch(`http://${LOCAL_API.host}:${LOCAL_API.port}/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ language: 'python', code_b64: Buffer.from('print(1)').toString('base64') }),
  });
  assert.is(res.status, 401);
  assert.equal(await res.json(), { detail: 'Missing or invalid sandbox executor API token' });
});

test('a matplotlib chart comes back in artifacts as a valid PNG', async () => {
  const { body } = await postLocalRun(token, { code: CHART_PROGRAM });
  assert.is(body.status, 'success', body.stderr);
  const [chart, ...more] = body.artifacts;
  assert.is(more.length, 0, JSON.stringify(body.artifacts.map((a) => a.name)));
  assert.is(chart?.name, 'chart.png');
  assert.is(chart?.mime_type, 'image/png');
  assert.is(decoded(chart).length, chart?.size);
  assert.ok(validPng(decoded(chart)), 'a PNG whose every chunk checks');
});

// ---- kubectl ----

test('the samples in deploy/samples, created with kubectl, end as documented', async () => {
  const runs = new CodeRunClient(connectCluster().kube);
  const created = await Promise.all(
    Object.keys(SAMPLES).map(async (sample) => {
      const file = join(REPO, 'deploy', 'samples', `${sample}.yaml`);
      const name = await kubectl(
        'create',
        '-f',
        file,
        '-n',
        LOCAL_SANDBOX_NAMESPACE,
        '-o',
        'jsonpath={.metadata.name}',
      );
      return [sample, name.trim()] as const;
    }),
  );
  for (const [sample, name] of created) {
    SAMPLES[sample]?.(await waitForRunEnd(runs, LOCAL_SANDBOX_NAMESPACE, name, 180_000));
  }
});

// ---- isolation, seen from inside a sandbox ----

test('from inside a sandbox: no service-account token, and the program runs as 65534', async () => {
  const code = `import os

def main():
    return {
        "token": os.path.exists("/var/run/secrets/kubernetes.io/serviceaccount"),
        "uid": os.getuid(),
    }
`;
  const { body } = await postLocalRun(token, { code });
  assert.is(body.status, 'success', body.stderr);
  assert.equal(body.result?.value, { token: false, uid: 65534 });
});

test("the release's isolation self-test passes on kind: gVisor's kernel, seccomp's EPERM, no network, no token, non-root, no capabilities", async () => {
  const data = await waitFor(
    'the release to publish its isolation self-test',
    async () => {
      const out = await kubectl(
        'get',
        'configmap',
        'coderun-self-test',
        '-n',
        'coderun',
        '-o',
        'jsonpath={.data}',
      ).catch(() => '');
      const parsed = out.trim() ? (JSON.parse(out) as Record<string, string>) : {};
      return parsed.status ? parsed : null;
    },
    240_000,
  );
  assert.is(data.status, 'True', data.message);
  const checks = JSON.parse(data.checks ?? '[]') as { name: string; passed: boolean; detail: string }[];
  const byName = new Map(checks.map((c) => [c.name, c]));
  for (const name of CHECK_NAMES) {
    assert.ok(byName.get(name)?.passed, `${name}: ${JSON.stringify(byName.get(name))}`);
  }
  assert.match(byName.get('seccomp')?.detail ?? '', 'EPERM');
});

// ---- and away again ----

test('make down deletes the kind cluster, stops the engine it started and leaves the host as it found it', async () => {
  await command(join(REPO, 'hack', 'down.sh'), [], 900_000);
  assert.is(recordedCluster(), '', 'make down forgets the kind cluster');
  const after = hostState();
  // An engine of ours already running before the tier (a kind cluster left up) is stopped now too.
  const expected: HostState = engineRunningBefore
    ? { ...before, dockerRules: [], bridges: [], mounts: [], engineProcesses: [] }
    : before;
  assert.equal(after, expected);
});

// Under make test the e2e tier's release ran on the local cluster; `make test-kind` alone may have none to give back.
if (localReleaseBefore)
  test('the local cluster still works afterwards: make up there answers a hello world on localhost:9385', async () => {
    // hack/up.sh sends a hello world through localhost:9385 and fails unless it succeeds.
    await command('env', ['CLUSTER=local', join(REPO, 'hack', 'up.sh')], 3_600_000);
    const again = (await command(join(REPO, 'hack', 'deploy.sh'), ['token'])).trim();
    const { body } = await postLocalRun(again, { code: 'def main():\n    return "local again"\n' });
    assert.is(body.status, 'success', body.stderr);
    assert.is(body.result?.value, 'local again');
  });

test.run();
