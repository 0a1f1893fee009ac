// End to end through the Helm chart, as a user installs it and as RAGFlow calls it: charts/coderun installed as
// its own release into fresh namespaces of the local cluster (hack/cluster), the API and the controller running
// from the operator image, and every request going over HTTP to the API Service's ClusterIP on port 9385, which
// is what RAGFlow in the cluster dials. Every program runs in a real gVisor sandbox Pod started by the
// chart-installed controller. One release serves all tests; the tests that need other values upgrade it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { AppsV1Api, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RagflowResult } from '../../src/api/ragflow/response.ts';
import { ORIGIN_LABEL, REPLICA_LABEL } from '../../src/api/run-service.ts';
import { CodeRunClient } from '../../src/coderun/client.ts';
import { type CodeRun, isTerminal } from '../../src/coderun/schema.ts';
import { isConflict, isNotFound, type KubeClients } from '../../src/kube/client.ts';
import { RAGFLOW_FIELDS } from '../fixtures.ts';
import { waitFor } from '../harness/cluster-actors.ts';
import { installCrds } from '../harness/control-plane.ts';
import { setUpSuite } from '../suite-setup.ts';
import { CHART_PROGRAM, decoded, SAMPLES, validPng } from './expectations.ts';
import {
  background,
  connectCluster,
  describeRun,
  ensureImagesImported,
  GVISOR_KERNEL,
  helm,
  kubectl,
  REPO,
  waitForRunEnd,
} from './support.ts';

const RELEASE = `e2e-chart-${Date.now().toString(36)}`;
const NS = RELEASE;
const SANDBOX_NS = `${RELEASE}-sandbox`;
const CHART = join(REPO, 'charts', 'coderun');
const SERVICE = 'sandbox-executor-manager'; // RAGFlow's default SANDBOX_HOST
const PORT = 9385;
const MAX_INFLIGHT = 2;
const PRE_STOP_SECONDS = 5;
const INSTANCE = `app.kubernetes.io/instance=${RELEASE}`;
// The release's Deployments: the API, the controller and the embedded artifacts store.
const OPERATOR_PODS = `${INSTANCE},app.kubernetes.io/component in (api,controller,artifacts)`;
// The limit leaves room for the policy's two workers and its spare (50-75 MiB each, warm).
const SMALL = { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '512Mi' } };
const SLEEPER = 'import time\n\ndef main(seconds):\n    time.sleep(seconds)\n    return {"slept": seconds}\n';

type Values = { [key: string]: unknown };

/** The release's values; `configure` merges changes in, as `helm upgrade --reuse-values --set` would. */
let values: Values = {
  api: {
    // One replica: /metrics and the Pod that serves a request are then that one Pod.
    replicas: 1,
    maxInflight: MAX_INFLIGHT,
    preStopSleepSeconds: PRE_STOP_SECONDS,
    // Every request of this suite comes from one client address; the default 30/minute would throttle it.
    rateLimit: { preAuth: '600/minute', run: '600/minute' },
    service: { name: SERVICE },
    resources: SMALL,
  },
  // Two replicas: a standby, so an upgrade hands the Lease over as in production.
  controller: { replicas: 2, resources: SMALL },
  // A quarter CPU per sandbox, so concurrent runs fit on a 2-core node beside everything else; a default
  // timeout (RAGFlow's /run sends none) with room for the run the upgrade test keeps in flight.
  sandbox: { namespace: SANDBOX_NS, timeoutSeconds: 60, cpu: { default: '250m' } },
  seccompInstaller: { resources: { requests: { cpu: '5m', memory: '16Mi' }, limits: { memory: '64Mi' } } },
  // SandboxRuntimes are cluster-scoped and one release registers them (`make up`'s, when it runs here); this
  // second release uses those, or the built-in python and nodejs where none is registered.
  runtimes: { python: { enabled: false }, nodejs: { enabled: false }, typescript: { enabled: false } },
};

let kube: KubeClients;
let apps: AppsV1Api;
let runs: CodeRunClient;
let workDir: string;
let baseUrl: string;
let token: string;
let installed = false;

setUpSuite(test, 'chart e2e', async () => {
  const cluster = connectCluster();
  kube = cluster.kube;
  apps = cluster.kc.makeApiClient(AppsV1Api);
  runs = new CodeRunClient(kube);
  await ensureImagesImported(['operator.tar', 'artifacts.tar', 'sandbox-python.tar', 'sandbox-nodejs.tar']);
  // Helm installs the CRD only when it is missing, so an older one would stay: apply the chart's copy first,
  // as the chart README says to before an upgrade.
  await installCrds(cluster.kc, join(CHART, 'crds'));
  workDir = mkdtempSync(join(tmpdir(), 'coderun-chart-e2e-'));
  // The seccomp installer mounts a host directory, which only the privileged level admits.
  await kube.core.createNamespace({
    body: { metadata: { name: NS, labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } },
  });
  installed = true;
  await deploy('install');
  const service = await kube.core.readNamespacedService({ name: SERVICE, namespace: NS });
  baseUrl = `http://${service.spec?.clusterIP}:${PORT}`;
  token = await apiToken();
});

test.after(async () => {
  // Never throws (uvu would lose the summary); the last test checks that the uninstall left nothing.
  if (installed) await uninstall().catch((err) => console.error(`chart e2e cleanup: ${String(err)}`));
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

// ---- The release ----

const isObject = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);

function merged(base: Values, changes: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(changes)) {
    const current = out[key];
    out[key] = isObject(current) && isObject(value) ? merged(current, value) : value;
  }
  return out;
}

/** helm install/upgrade with the current values; resolves once no Pod of an earlier revision is left. */
async function deploy(verb: 'install' | 'upgrade'): Promise<void> {
  const file = join(workDir, 'values.json');
  writeFileSync(file, JSON.stringify(values, null, 2));
  try {
    await helm(verb, RELEASE, CHART, '--namespace', NS, '--values', file, '--wait', '--timeout', '180s');
    await waitRolledOut();
    await waitQuotaCounted();
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${await podSummary()}`);
  }
}

/** Upgrades the release with these values changed, unless it has them already. */
async function configure(changes: Values): Promise<void> {
  const next = merged(values, changes);
  if (JSON.stringify(next) === JSON.stringify(values)) return;
  values = next;
  await deploy('upgrade');
}

function rolledOut(d: V1Deployment): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
    s.updatedReplicas === want &&
    s.replicas === want &&
    s.availableReplicas === want
  );
}

/**
 * Until each Deployment runs its current template only, with not even a terminating Pod of an earlier
 * revision left: a request can then only reach an API Pod with the current configuration.
 */
async function waitRolledOut(): Promise<void> {
  await waitFor(
    'the release to run only Pods of its current revision',
    async () => {
      const deployments = (await apps.listNamespacedDeployment({ namespace: NS, labelSelector: INSTANCE }))
        .items;
      const pods = await operatorPods();
      const wanted = deployments.reduce((n, d) => n + (d.spec?.replicas ?? 1), 0);
      return (
        deployments.length === 3 &&
        deployments.every(rolledOut) &&
        pods.length === wanted &&
        pods.every((p) => !p.metadata?.deletionTimestamp)
      );
    },
    180_000,
  );
}

/**
 * Until the kube-controller-manager has counted the sandbox namespace's quotas: before that, admission
 * refuses every CodeRun ("status unknown for quota"; the API waits up to 30 s for it, then answers 429).
 */
async function waitQuotaCounted(): Promise<void> {
  await waitFor(
    "the sandbox namespace's quotas to be counted",
    async () => {
      const quotas = (await kube.core.listNamespacedResourceQuota({ namespace: SANDBOX_NS })).items;
      return quotas.every((q) =>
        Object.keys(q.spec?.hard ?? {}).every((resource) => q.status?.used?.[resource] !== undefined),
      );
    },
    120_000,
  );
}

async function operatorPods(component?: 'api' | 'controller'): Promise<V1Pod[]> {
  const labelSelector = component ? `${INSTANCE},app.kubernetes.io/component=${component}` : OPERATOR_PODS;
  return (await kube.core.listNamespacedPod({ namespace: NS, labelSelector })).items;
}

const podNames = async (component: 'api' | 'controller') =>
  (await operatorPods(component)).map((p) => p.metadata?.name ?? '');

/** Every Pod of the release's namespaces with its phase and container states, for failure messages. */
async function podSummary(): Promise<string> {
  const lines: string[] = [];
  for (const namespace of [NS, SANDBOX_NS]) {
    const pods = await kube.core.listNamespacedPod({ namespace }).catch(() => ({ items: [] as V1Pod[] }));
    for (const pod of pods.items) {
      const states = (pod.status?.containerStatuses ?? []).map(
        (c) => c.state?.waiting?.reason ?? c.state?.terminated?.reason ?? 'Running',
      );
      lines.push(`  ${namespace}/${pod.metadata?.name}: ${pod.status?.phase} [${states.join(', ')}]`);
    }
  }
  return `pods:\n${lines.join('\n') || '  (none)'}`;
}

/** The token the API Pods get: the Secret and key their SANDBOX_EXECUTOR_MANAGER_API_TOKEN refers to. */
async function apiToken(): Promise<string> {
  const [deployment] = (
    await apps.listNamespacedDeployment({
      namespace: NS,
      labelSelector: `${INSTANCE},app.kubernetes.io/component=api`,
    })
  ).items;
  const env = deployment?.spec?.template.spec?.containers[0]?.env ?? [];
  const ref = env.find((e) => e.name === 'SANDBOX_EXECUTOR_MANAGER_API_TOKEN')?.valueFrom?.secretKeyRef;
  if (!ref?.name) throw new Error('the API Deployment takes no token from a Secret');
  const secret = await kube.core.readNamespacedSecret({ name: ref.name, namespace: NS });
  const encoded = secret.data?.[ref.key];
  if (!encoded) throw new Error(`Secret ${ref.name} has no key ${ref.key}`);
  return Buffer.from(encoded, 'base64').toString('utf8');
}

async function uninstall(): Promise<void> {
  await helm('uninstall', RELEASE, '--namespace', NS, '--wait', '--timeout', '120s').catch((err) => {
    if (!String(err).includes('not found')) throw err;
  });
  installed = false;
  // Helm leaves the release namespace (it did not create it); the sandbox namespace goes with the release.
  for (const name of [NS, SANDBOX_NS])
    await kube.core.deleteNamespace({ name }).catch((err) => {
      // 409: already being deleted.
      if (!isNotFound(err) && !isConflict(err)) throw err;
    });
}

// ---- HTTP, as RAGFlow speaks it ----

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function call(path: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(`${baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(180_000) });
  const text = await res.text();
  try {
    return { status: res.status, headers: res.headers, body: JSON.parse(text) };
  } catch {
    throw new Error(`${path} answered ${res.status} with a body that is not JSON: ${text.slice(0, 500)}`);
  }
}

const bearer = (): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** POST /run as RAGFlow sends it: the program base64-encoded in code_b64. */
function postRun(
  program: { code: string; language?: string; arguments?: Record<string, unknown> },
  auth: Record<string, string> = bearer(),
): Promise<Reply> {
  return call('/run', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({
      code_b64: Buffer.from(program.code, 'utf8').toString('base64'),
      language: program.language ?? 'python',
      arguments: program.arguments ?? {},
    }),
  });
}

/** The body of a contract answer with this HTTP status: every field present, nulls included. */
function contractBody(reply: Reply, status = 200): RagflowResult {
  assert.is(reply.status, status, JSON.stringify(reply.body));
  assert.equal(Object.keys(reply.body).sort(), RAGFLOW_FIELDS);
  return reply.body as unknown as RagflowResult;
}

async function inflightRuns(): Promise<number> {
  const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
  return Number(/^coderun_api_inflight_runs (\d+)$/m.exec(metrics)?.[1]);
}

/** The CodeRuns the API created. */
async function apiRuns(): Promise<CodeRun[]> {
  return (await runs.list(SANDBOX_NS, `${ORIGIN_LABEL}=api`)).items;
}

// ---- RAGFlow's contract over the Service ----

test(`the chart's Service ${SERVICE} answers /healthz and / on its ClusterIP:${PORT} without a token`, async () => {
  for (const path of ['/healthz', '/']) {
    const reply = await call(path);
    assert.is(reply.status, 200, path);
    assert.equal(reply.body, { status: 'ok' });
  }
});

test("/metrics of the ready API replica: the chart's two policy workers and their spare are warm, no check waits", async () => {
  const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
  assert.match(metrics, 'coderun_api_policy_workers{role="serving",state="warm"} 2');
  assert.match(metrics, 'coderun_api_policy_workers{role="spare",state="warm"} 1');
  assert.match(metrics, 'coderun_api_policy_checks_waiting 0');
});

test('POST /run runs Python in a gVisor sandbox: success with the structured result and the stdout', async () => {
  const code = `import platform

def main(name, numbers):
    print(f"hello, {name}")
    return {"greeting": f"hello, {name}", "total": sum(numbers), "kernel": platform.release()}
`;
  const body = contractBody(await postRun({ code, arguments: { name: 'ragflow', numbers: [1, 2, 3] } }));
  assert.is(body.status, 'success', body.stderr);
  assert.is(body.exit_code, 0);
  assert.is(body.stdout, 'hello, ragflow\n', 'the program stdout, without the result marker line');
  assert.is(body.stderr, '');
  assert.equal(body.result?.present, true);
  assert.equal(body.result?.type, 'json');
  const value = body.result?.value as { greeting: string; total: number; kernel: string };
  assert.is(value.greeting, 'hello, ragflow');
  assert.is(value.total, 6);
  assert.match(value.kernel, GVISOR_KERNEL, 'gVisor reports its own kernel release');
  assert.type(body.time_used_ms, 'number');
});

test('a Python exception is a program_error: exit code 1, the traceback on stderr, stdout empty', async () => {
  const code = 'def main():\n    print("printed before the error")\n    raise ValueError("boom")\n';
  const body = contractBody(await postRun({ code }));
  assert.is(body.status, 'program_error', JSON.stringify(body));
  assert.is(body.exit_code, 1);
  assert.is(body.runtime_error_type, 'nonzero_exit');
  assert.is(body.stdout, '');
  assert.match(body.stderr, 'Traceback (most recent call last)');
  assert.match(body.stderr, 'ValueError: boom');
  assert.is(body.result, null);
});

test('a program the static policy refuses is -999 "Code is unsafe" with one "Line <n>: ..." per finding', async () => {
  const body = contractBody(await postRun({ code: 'import subprocess\nsubprocess.run(["id"])\n' }));
  assert.is(body.status, 'program_runner_error');
  assert.is(body.exit_code, -999);
  assert.is(body.detail, 'Code is unsafe');
  assert.is(body.stdout, '');
  assert.match(body.stderr, /^Line 1: .*\bsubprocess\b/);
  for (const line of body.stderr.split('\n')) assert.match(line, /^Line \d+: \S/);
});

test("/run without a valid token is 401 with upstream's detail; X-Sandbox-Token works like Bearer", async () => {
  const program = { code: 'def main():\n    return "authorized"\n' };
  const refused: Record<string, string>[] = [
    {},
    { authorization: 'Bearer not-the-token' },
    { 'x-sandbox-token': 'not-the-token' },
  ];
  for (const auth of refused) {
    const reply = await postRun(program, auth);
    assert.is(reply.status, 401, JSON.stringify(auth));
    assert.equal(reply.body, { detail: 'Missing or invalid sandbox executor API token' });
  }
  const body = contractBody(await postRun(program, { 'x-sandbox-token': token }));
  assert.is(body.status, 'success', body.stderr);
  assert.is(body.result?.value, 'authorized');
});

test('Node.js: a RAGFlow-style function main(args) gets the arguments and returns the result', async () => {
  const code = 'function main(args) {\n  console.log("adding");\n  return { sum: args.a + args.b };\n}\n';
  const body = contractBody(await postRun({ code, language: 'nodejs', arguments: { a: 2, b: 40 } }));
  assert.is(body.status, 'success', body.stderr);
  assert.is(body.stdout, 'adding\n');
  assert.equal(body.result, { present: true, value: { sum: 42 }, type: 'json' });
});

test(`beyond api.maxInflight (${MAX_INFLIGHT}) runs, /run is 429 with Retry-After and the -429 body at once; the runs in flight finish`, async () => {
  const accepted = Array.from({ length: MAX_INFLIGHT }, () =>
    background(postRun({ code: SLEEPER, arguments: { seconds: 4 } })),
  );
  await waitFor('the API to hold maxInflight runs', async () => (await inflightRuns()) === MAX_INFLIGHT);
  const started = Date.now();
  const refused = await Promise.all([1, 2].map(() => postRun({ code: SLEEPER, arguments: { seconds: 4 } })));
  assert.ok(Date.now() - started < 3000, 'refused without waiting for a sandbox');
  for (const reply of refused) {
    const body = contractBody(reply, 429);
    assert.ok(Number(reply.headers.get('retry-after')) >= 1, 'Retry-After in seconds');
    assert.is(body.status, 'program_runner_error');
    assert.is(body.exit_code, -429);
    assert.is(body.stdout, '');
    assert.is(body.stderr, 'Too many requests, please try again later');
  }
  for (const reply of await Promise.all(accepted)) {
    const body = contractBody(reply);
    assert.is(body.status, 'success', body.stderr);
    assert.equal(body.result?.value, { slept: 4 });
  }
});

// ---- CodeRuns with kubectl ----

test('the samples in deploy/samples, created with kubectl in the sandbox namespace, end as documented', async () => {
  const created = await Promise.all(
    Object.keys(SAMPLES).map(async (sample) => {
      const file = join(REPO, 'deploy', 'samples', `${sample}.yaml`);
      const name = await kubectl('create', '-f', file, '-n', SANDBOX_NS, '-o', 'jsonpath={.metadata.name}');
      return [sample, name.trim()] as const;
    }),
  );
  for (const [sample, name] of created) {
    const run = await waitForRunEnd(runs, SANDBOX_NS, name, 120_000);
    assert.ok(name.startsWith(`${sample}-`), name);
    SAMPLES[sample]?.(run);
  }
});

// ---- Artifacts: files a program writes come back as RAGFlow shows them ----

test('a matplotlib chart saved to artifacts/ comes back in /run as a valid PNG of the reported size', async () => {
  const body = contractBody(await postRun({ code: CHART_PROGRAM }));
  assert.is(body.status, 'success', body.stderr);
  assert.is(body.artifacts.length, 1, JSON.stringify(body.artifacts.map((a) => a.name)));
  const [chart] = body.artifacts;
  assert.is(chart?.name, 'chart.png');
  assert.is(chart?.mime_type, 'image/png');
  assert.is(decoded(chart).length, chart?.size);
  assert.ok(validPng(decoded(chart)), 'a PNG whose every chunk checks');
  assert.not.match(chart?.content_b64 ?? '', /\s/, 'standard base64, no newlines');
});

test('a chart saved at the work dir root is promoted, pandas to_csv comes back, and Node.js writes JSON and SVG', async () => {
  const python = `import matplotlib.pyplot as plt
import pandas as pd

def main():
    plt.bar(["a", "b"], [1, 2])
    plt.savefig("chart.png")
    pd.DataFrame({"x": [1, 2], "y": [3, 4]}).to_csv("artifacts/table.csv", index=False)
`;
  const py = contractBody(await postRun({ code: python }));
  assert.is(py.status, 'success', py.stderr);
  assert.equal(
    py.artifacts.map((a) => [a.name, a.mime_type]),
    [
      ['chart.png', 'image/png'],
      ['table.csv', 'text/csv'],
    ],
  );
  assert.ok(validPng(decoded(py.artifacts[0])));
  assert.is(decoded(py.artifacts[1]).toString('utf8'), 'x,y\n1,3\n2,4\n');

  const node = `const fs = require('fs');
function main() {
  fs.writeFileSync('artifacts/data.json', JSON.stringify({ ok: true }));
  fs.writeFileSync('artifacts/shape.svg', '<svg xmlns="http://www.w3.org/2000/svg"><rect width="4" height="4"/></svg>');
  return 2;
}
module.exports = main;
`;
  const js = contractBody(await postRun({ code: node, language: 'nodejs' }));
  assert.is(js.status, 'success', js.stderr);
  assert.equal(
    js.artifacts.map((a) => [a.name, a.mime_type, decoded(a).toString('utf8').slice(0, 4)]),
    [
      ['data.json', 'application/json', '{"ok'],
      ['shape.svg', 'image/svg+xml', '<svg'],
    ],
  );
});

test('12 files give the first 10 by name; too large, empty, linked, nested and .exe files are not returned, and the run says why', async () => {
  const code = `import os

def main():
    for i in range(12):
        with open(f"artifacts/f{i:02d}.json", "w") as f:
            f.write("[%d]" % i)
    with open("artifacts/big.csv", "wb") as f:
        f.write(b"x" * (11 * 1024 * 1024))
    open("artifacts/empty.csv", "w").close()
    os.symlink("/etc/passwd", "artifacts/passwd.csv")
    os.mkdir("artifacts/sub")
    with open("artifacts/sub/inner.png", "wb") as f:
        f.write(b"x")
    with open("artifacts/tool.exe", "wb") as f:
        f.write(b"MZ")
`;
  const created = await call('/v1/runs?wait=120', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer() },
    body: JSON.stringify({ language: 'python', source: code, arguments: {} }),
  });
  assert.is(created.status, 200, JSON.stringify(created.body));
  const view = created.body as {
    name: string;
    phase: string;
    stderr: string;
    artifacts: { name: string; url: string; size: number }[];
    skippedArtifacts: { name: string; reason: string }[];
  };
  assert.is(view.phase, 'Succeeded', view.stderr);
  assert.equal(
    view.artifacts.map((a) => a.name),
    Array.from({ length: 10 }, (_, i) => `f${String(i).padStart(2, '0')}.json`),
  );
  const reasons = Object.fromEntries(view.skippedArtifacts.map((s) => [s.name, s.reason]));
  assert.equal(reasons, {
    'big.csv': 'too-large',
    'empty.csv': 'empty',
    'passwd.csv': 'symlink',
    sub: 'not-regular',
    'tool.exe': 'extension',
    'f10.json': 'limit',
    'f11.json': 'limit',
  });
  assert.is(view.stderr, '', 'nothing about skipped files on stderr');

  const file = await fetch(`${baseUrl}${view.artifacts[3]?.url}`, { headers: bearer() });
  assert.is(file.status, 200);
  assert.is(file.headers.get('content-type'), 'application/json');
  assert.is(await file.text(), '[3]');

  const events = await kube.core.listNamespacedEvent({
    namespace: SANDBOX_NS,
    fieldSelector: `involvedObject.name=${view.name}`,
  });
  const warning = events.items.find((e) => e.reason === 'ArtifactsSkipped');
  assert.match(warning?.message ?? '', /big\.csv \(too-large\)/);
});

test('a program that fails after writing files returns no artifacts', async () => {
  const code = `def main():
    with open("artifacts/partial.csv", "w") as f:
        f.write("a\\n1\\n")
    raise RuntimeError("late failure")
`;
  const body = contractBody(await postRun({ code }));
  assert.is(body.status, 'program_error');
  assert.equal(body.artifacts, []);
});

test('the peak memory a run reports grows by about the size of a 200 MiB bytearray', async () => {
  // 512 MiB, so the block fits beside the interpreter whatever the chart's default limit is.
  const peak = async (name: string, source: string) => {
    await runs.create({
      namespace: SANDBOX_NS,
      name,
      spec: { language: 'python', source, arguments: {}, resources: { memory: '512Mi' } },
    });
    const run = await waitForRunEnd(runs, SANDBOX_NS, name, 120_000);
    assert.is(run.status?.reason, 'Completed', describeRun(run));
    return run.status?.memoryUsedKb ?? 0;
  };
  const suffix = Date.now().toString(36);
  const small = await peak(`mem-small-${suffix}`, 'def main():\n    return 1\n');
  const big = await peak(
    `mem-big-${suffix}`,
    'def main():\n    block = bytearray(200 * 1024 * 1024)\n    return len(block)\n',
  );
  const grown = big - small;
  assert.ok(grown > 180 * 1024 && grown < 260 * 1024, `grew by ${grown} KiB (${small} → ${big})`);
});

/** An S3 client for the release's embedded store, with the credentials the controller uses. */
async function releaseStore(): Promise<{ s3: S3Client; bucket: string; prefix: string }> {
  const [deployment] = (
    await apps.listNamespacedDeployment({
      namespace: NS,
      labelSelector: `${INSTANCE},app.kubernetes.io/component=controller`,
    })
  ).items;
  const env = deployment?.spec?.template.spec?.containers[0]?.env ?? [];
  const plain = (name: string) => env.find((e) => e.name === name)?.value ?? '';
  const secret = async (name: string) => {
    const ref = env.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
    const data = ref?.name
      ? (await kube.core.readNamespacedSecret({ name: ref.name, namespace: NS })).data
      : {};
    return Buffer.from(data?.[ref?.key ?? ''] ?? '', 'base64').toString('utf8');
  };
  // The Service's DNS name does not resolve on the node; its ClusterIP does answer there.
  const endpoint = new URL(plain('CODERUN_ARTIFACTS_S3_ENDPOINT'));
  const service = await kube.core.readNamespacedService({
    name: endpoint.hostname.split('.')[0] ?? '',
    namespace: NS,
  });
  endpoint.hostname = service.spec?.clusterIP ?? '';
  const s3 = new S3Client({
    endpoint: endpoint.toString(),
    region: plain('CODERUN_ARTIFACTS_S3_REGION') || 'us-east-1',
    forcePathStyle: true,
    credentials: {
      accessKeyId: await secret('AWS_ACCESS_KEY_ID'),
      secretAccessKey: await secret('AWS_SECRET_ACCESS_KEY'),
    },
  });
  return { s3, bucket: plain('CODERUN_ARTIFACTS_S3_BUCKET'), prefix: plain('CODERUN_ARTIFACTS_S3_PREFIX') };
}

async function storedKeys(store: { s3: S3Client; bucket: string }, prefix: string): Promise<string[]> {
  const out = await store.s3.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key ?? '');
}

test('kubectl create: the controller restarting between the program end and the status write still returns the files, and after the TTL nothing is left in the store', async () => {
  const store = await releaseStore();
  const manifest = join(workDir, 'restart-artifacts.yaml');
  writeFileSync(
    manifest,
    JSON.stringify({
      apiVersion: 'coderun.dev/v1alpha1',
      kind: 'CodeRun',
      metadata: { generateName: 'restart-artifacts-' },
      spec: {
        language: 'python',
        timeoutSeconds: 60,
        ttlSecondsAfterFinished: 5,
        source:
          'import time\n\ndef main():\n    time.sleep(4)\n    with open("artifacts/late.csv", "w") as f:\n        f.write("a,b\\n1,2\\n")\n',
      },
    }),
  );
  const name = (
    await kubectl('create', '-f', manifest, '-n', SANDBOX_NS, '-o', 'jsonpath={.metadata.name}')
  ).trim();
  await waitFor(
    `run ${name} to be Running`,
    async () => (await runs.get(SANDBOX_NS, name)).status?.phase === 'Running',
    120_000,
  );
  // Every controller goes at once, while the program sleeps: the program ends with no controller alive,
  // and the runner keeps its sandbox (and the file) until a new leader fetches it.
  for (const pod of await podNames('controller'))
    await kube.core.deleteNamespacedPod({ name: pod, namespace: NS, gracePeriodSeconds: 0 });
  const run = await waitForRunEnd(runs, SANDBOX_NS, name, 180_000);
  assert.is(run.status?.reason, 'Completed', describeRun(run));
  assert.equal(
    run.status?.artifacts?.map((a) => [a.name, a.size]),
    [['late.csv', 8]],
    describeRun(run),
  );
  const prefix = `${store.prefix}${SANDBOX_NS}/${name}/${run.metadata.uid}/`;
  assert.equal(await storedKeys(store, prefix), [`${prefix}late.csv`]);
  await waitFor(
    `run ${name} to be deleted after its TTL`,
    async () => !(await runs.get(SANDBOX_NS, name).catch(() => null)),
    120_000,
  );
  assert.equal(await storedKeys(store, prefix), [], 'the run folder is deleted with the run');
});

// ---- Upgrades ----

/** The controller's default TTL for finished runs (runs answered over /run carry a shorter one in their spec). */
const DEFAULT_TTL_SECONDS = 600;

/**
 * Name, uid and outcome of every finished CodeRun in the sandbox namespace that outlives the next `forMs`
 * (a run whose TTL ends meanwhile is deleted by design, upgrade or not).
 */
async function finishedRuns(forMs = 0): Promise<Map<string, string>> {
  const list = await runs.list(SANDBOX_NS);
  const expires = (r: CodeRun) =>
    new Date(r.status?.completionTime ?? 0).getTime() +
    (r.spec.ttlSecondsAfterFinished ?? DEFAULT_TTL_SECONDS) * 1000;
  return new Map(
    list.items
      .filter((r) => isTerminal(r.status) && expires(r) > Date.now() + forMs)
      .map((r) => [
        r.metadata.name,
        `${r.metadata.uid} ${r.status?.phase}/${r.status?.reason} exit ${r.status?.exitCode}`,
      ]),
  );
}

/** When this Pod was first seen terminating (or already gone), or gone. */
function whenPod(name: string, state: 'terminating' | 'gone'): Promise<number> {
  return waitFor(
    `Pod ${name} to be ${state}`,
    async () => {
      const pod = await kube.core.readNamespacedPod({ name, namespace: NS }).catch((err) => {
        if (isNotFound(err)) return null;
        throw err;
      });
      const reached = !pod || (state === 'terminating' && Boolean(pod.metadata?.deletionTimestamp));
      return reached ? Date.now() : null;
    },
    180_000,
  );
}

test('helm upgrade mid-run: the in-flight /run is answered by the API Pod being replaced, the controller hands over, finished CodeRuns keep their status', async () => {
  // Runs that outlive the upgrade by their TTL (the upgrade and its checks take well under 5 minutes).
  const recorded = await finishedRuns(300_000);
  assert.ok(recorded.size > 0, 'the earlier tests left finished CodeRuns to check');
  const oldControllers = await podNames('controller');
  // Long enough that the rollout reaches the serving Pod first (its SIGTERM came at 31.6 s in one run),
  // short enough to end within shutdownGraceSeconds (30) of a SIGTERM that comes 13 s in or later.
  const seconds = 40;
  const submitted = Date.now();
  const answer = background(
    postRun({ code: SLEEPER, arguments: { seconds } }).then((reply) => ({ reply, at: Date.now() })),
  );
  const run = await waitFor('the slow run to be running', async () =>
    (await apiRuns()).find((r) => !recorded.has(r.metadata.name) && r.status?.phase === 'Running'),
  );
  const servingPod = run.metadata.labels?.[REPLICA_LABEL] ?? '';
  assert.ok(
    (await podNames('api')).includes(servingPod),
    `the run names the API Pod serving it: ${servingPod}`,
  );
  const terminating = background(whenPod(servingPod, 'terminating'));
  const gone = background(whenPod(servingPod, 'gone'));

  // A new log level changes both Pod templates, so both Deployments roll.
  await configure({ api: { logLevel: 'debug' }, controller: { logLevel: 'debug' } });

  const { reply, at } = await answer;
  const body = contractBody(reply);
  assert.is(body.status, 'success', JSON.stringify(body));
  assert.equal(body.result?.value, { slept: seconds });
  // SIGTERM comes after the preStop sleep: the answer after it proves the graceful shutdown let the run finish.
  const sigterm = (await terminating) + PRE_STOP_SECONDS * 1000;
  const since = (t: number) => `${((t - submitted) / 1000).toFixed(1)} s`;
  console.log(
    `  upgrade: the serving API Pod got SIGTERM at ${since(sigterm)}, answered at ${since(at)} (connection: ${reply.headers.get('connection')}), exited at ${since(await gone)}`,
  );
  assert.ok(at > sigterm, `answered ${sigterm - at} ms before the serving API Pod got SIGTERM`);
  assert.is((await runs.get(SANDBOX_NS, run.metadata.name)).status?.reason, 'Completed');

  const [newApi] = await operatorPods('api');
  assert.is.not(newApi?.metadata?.name, servingPod);
  const env = newApi?.spec?.containers[0]?.env ?? [];
  assert.is(env.find((e) => e.name === 'LOG_LEVEL')?.value, 'debug', 'the new API Pod has the new values');
  const newControllers = await podNames('controller');
  assert.ok(!newControllers.some((p) => oldControllers.includes(p)), 'every controller Pod was replaced');
  await waitFor('a new controller Pod to hold the Lease', async () => {
    const leases = await kube.coordination.listNamespacedLease({ namespace: NS });
    const holder = leases.items[0]?.spec?.holderIdentity;
    return holder !== undefined && newControllers.includes(holder);
  });

  const after = await finishedRuns();
  for (const [name, outcome] of recorded)
    assert.is(after.get(name), outcome, `CodeRun ${name} after the upgrade`);
});

test('a program running past SANDBOX_TIMEOUT (sandbox.timeoutSeconds=3) is resource_limit_exceeded, exit -124', async () => {
  await configure({ sandbox: { timeoutSeconds: 3 } });
  const body = contractBody(await postRun({ code: 'while True:\n    pass\n' }));
  assert.is(body.status, 'resource_limit_exceeded', JSON.stringify(body));
  assert.is(body.exit_code, -124);
  assert.is(body.resource_limit_type, 'time');
  assert.is(body.stdout, '');
  assert.is(body.stderr, 'Execution timeout');
  assert.ok((body.time_used_ms ?? 0) >= 3000 && (body.time_used_ms ?? 0) < 6000, `${body.time_used_ms} ms`);
});

test('with no token configured (api.auth.existingSecret holding an empty one) /run fails closed with 503', async () => {
  const secret = `${RELEASE}-empty-token`;
  await kube.core.createNamespacedSecret({
    namespace: NS,
    body: { metadata: { name: secret }, stringData: { token: '' } },
  });
  await configure({ api: { auth: { existingSecret: secret } } });
  for (const auth of [bearer(), {}]) {
    const reply = await postRun({ code: 'def main():\n    return 1\n' }, auth);
    assert.is(reply.status, 503, JSON.stringify(reply.body));
    assert.match(String(reply.body.detail), 'SANDBOX_EXECUTOR_MANAGER_API_TOKEN');
  }
  assert.is((await call('/healthz')).status, 200, 'health needs no token');
});

// ---- Uninstall ----

test('helm uninstall and deleting the release namespace leave no Pod and no namespace of the release', async () => {
  await uninstall();
  await waitFor(
    'both namespaces to be gone',
    async () => {
      const namespaces = await kube.core.listNamespace();
      return !namespaces.items.some((n) => [NS, SANDBOX_NS].includes(n.metadata?.name ?? ''));
    },
    120_000,
  );
  const pods = await kube.core.listPodForAllNamespaces({ labelSelector: INSTANCE });
  assert.equal(
    pods.items.map((p) => p.metadata?.name),
    [],
  );
  assert.not.match(await helm('list', '--all-namespaces', '--all', '--short'), RELEASE);
});

test.run();
