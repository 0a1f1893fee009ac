// The Helm chart (charts/coderun): its copies of generated files, its values documentation, its schema,
// and what it renders, checked against the code that will read it (src/config/*.ts, the sandbox Pod).
// Helm comes from hack/build-upstream.sh (built once into the cache); only if it cannot be built are the
// tests that need it skipped, each saying so.
//
// The values table in charts/coderun/README.md is generated from values.yaml (comments, defaults) and
// values.schema.json (types) by `make generate` (hack/chart-values.ts); `make verify` fails when it is stale.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Container, V1Deployment, V1EnvVar, V1LimitRange, V1Role } from '@kubernetes/client-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAllDocuments, parseDocument } from 'yaml';
import {
  CHART_README,
  leaves,
  type Schema,
  schema,
  schemaLeafKeys,
  TABLE_END,
  TABLE_START,
} from '../../hack/chart-values.ts';
import { parseEnvFile } from '../../hack/env-file.ts';
import { apiShape, loadApiConfig } from '../../src/config/api.ts';
import { controllerShape, loadControllerConfig } from '../../src/config/controller.ts';
import { LABELS } from '../../src/controller/sandbox-pod.ts';
import { parseQuantity } from '../../src/kube/quantity.ts';
import { VERSION } from '../../src/version.ts';
import { makeRun, sandboxPodOf } from '../fixtures.ts';

const REPO = join(import.meta.dirname, '..', '..');
const CHART = join(REPO, 'charts', 'coderun');
const README = join(REPO, CHART_README);
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');

// ---------------------------------------------------------------------------------------------------
// Versions that must agree

test("chart version and appVersion are package.json's version", () => {
  const chart = parseDocument(read('charts/coderun/Chart.yaml')).toJS();
  assert.is(chart.appVersion, VERSION);
  assert.is(chart.version, VERSION);
});

test('the embedded store image is the one make artifacts-image builds: versitygw at VERSITYGW_VERSION', () => {
  const pinned = parseEnvFile(read('hack/versions.env')).VERSITYGW_VERSION;
  const image = parseDocument(read('charts/coderun/values.yaml')).toJS().artifacts.embedded.image;
  assert.is(image.tag, pinned);
  const built = execFileSync(join(REPO, 'hack', 'build-artifacts-image.sh'), ['name'], { encoding: 'utf8' });
  assert.is(built.trim(), `docker.io/${image.repository}:${image.tag}`);
});

// ---------------------------------------------------------------------------------------------------
// values.yaml, values.schema.json and the README table

test('every value in values.yaml has a comment above it', () => {
  const missing = leaves()
    .filter((l) => !l.comment)
    .map((l) => l.key);
  assert.equal(missing, [], `undocumented values: ${missing.join(', ')}`);
});

test('values.yaml sets every value the schema defines, and the schema closes every level', () => {
  assert.equal(
    leaves()
      .map((l) => l.key)
      .sort(),
    schemaLeafKeys().sort(),
  );
  const open: string[] = [];
  const check = (node: Schema, path: string) => {
    if (!node.properties) return;
    // A map of named entries (pools) is closed by the shape of its entries and the pattern of their names.
    const extra = node.additionalProperties;
    if (typeof extra === 'object' && node.propertyNames) check(extra, `${path}.<name>`);
    else if (extra !== false) open.push(path || '(root)');
    for (const [name, sub] of Object.entries(node.properties)) check(sub, path ? `${path}.${name}` : name);
  };
  check(schema, '');
  assert.equal(open, [], `levels that accept unknown keys: ${open.join(', ')}`);
});

test('the README values table has a row for every value', () => {
  const readme = readFileSync(README, 'utf8');
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  assert.ok(start >= 0 && end > start, `README.md needs the markers ${TABLE_START} and ${TABLE_END}`);
  const rows = new Set([...readme.slice(start, end).matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]));
  const missing = leaves()
    .map((l) => l.key)
    .filter((k) => !rows.has(k));
  assert.equal(
    missing,
    [],
    `values missing from the README table (run make generate): ${missing.join(', ')}`,
  );
});

// ---------------------------------------------------------------------------------------------------
// What the chart renders (needs helm)

function buildHelm(): { helm?: string; why?: string } {
  const built = spawnSync(join(REPO, 'hack', 'build-upstream.sh'), ['helm'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const dir = built.stdout.trim().split('\n').at(-1);
  if (built.status !== 0 || !dir) return { why: built.stderr.trim().split('\n').slice(-3).join(' / ') };
  return { helm: join(dir, 'helm') };
}

const { helm, why } = buildHelm();
const helmTest = (name: string, fn: () => void | Promise<void>) => {
  if (helm) test(name, fn);
  else test.skip(name, fn);
};
if (!helm)
  console.log(`chart: helm could not be built (${why}); the tests that render the chart are skipped`);

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } & Record<
  string,
  unknown
>;

function helmRun(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(helm as string, args, { encoding: 'utf8', cwd: REPO });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** helm template with --set flags, or a values file (which, unlike --set, makes numbers float64 in Helm). */
function render(set: string[] = [], valuesFile?: object): Manifest[] {
  const args = ['template', 'coderun', CHART, '--namespace', 'coderun', ...set.flatMap((s) => ['--set', s])];
  let dir: string | undefined;
  if (valuesFile) {
    dir = mkdtempSync(join(tmpdir(), 'chart-values-'));
    writeFileSync(join(dir, 'values.yaml'), JSON.stringify(valuesFile));
    args.push('--values', join(dir, 'values.yaml'));
  }
  try {
    const r = helmRun(args);
    if (r.status !== 0) throw new Error(`helm ${args.join(' ')} failed:\n${r.stderr}`);
    return parseAllDocuments(r.stdout)
      .map((d) => d.toJS() as Manifest | null)
      .filter((d): d is Manifest => d !== null);
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

const find = <T = Manifest>(docs: Manifest[], kind: string, name?: string): T => {
  const doc = docs.find((d) => d.kind === kind && (!name || d.metadata.name === name));
  if (!doc) throw new Error(`no ${kind}${name ? ` ${name}` : ''} rendered`);
  return doc as unknown as T;
};
const container = (docs: Manifest[], name: string): V1Container =>
  find<V1Deployment>(docs, 'Deployment', name).spec?.template.spec?.containers[0] as V1Container;

/** The container's environment as the process will see it; the downward API and Secrets filled in. */
function envOf(c: V1Container, pod = { name: 'pod-0', namespace: 'coderun' }): Record<string, string> {
  const env: Record<string, string> = { HOSTNAME: pod.name };
  for (const e of c.env ?? ([] as V1EnvVar[])) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[e.name] = pod.name;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = pod.namespace;
    else if (e.valueFrom?.secretKeyRef) env[e.name] = 'secret-token';
    else throw new Error(`unexpected env source for ${e.name}`);
  }
  return env;
}

helmTest("the default images are the operator's and its sandboxes' at the chart's appVersion", () => {
  const docs = render();
  for (const name of ['coderun-api', 'coderun-controller'])
    assert.is(container(docs, name).image, `coderun/operator:${VERSION}`);
  const controller = envOf(container(docs, 'coderun-controller'));
  assert.is(controller.SANDBOX_BASE_PYTHON_IMAGE, `coderun/sandbox-python:${VERSION}`);
  assert.is(controller.SANDBOX_BASE_NODEJS_IMAGE, `coderun/sandbox-nodejs:${VERSION}`);
  // What is set wins.
  const set = render(['image.tag=1.2.3', 'sandbox.images.python=my/python:7']);
  assert.is(container(set, 'coderun-api').image, 'coderun/operator:1.2.3');
  assert.is(envOf(container(set, 'coderun-controller')).SANDBOX_BASE_PYTHON_IMAGE, 'my/python:7');
});

helmTest('helm lint --strict passes, with the defaults and with every optional part switched on', () => {
  for (const set of [
    [],
    [
      'runtimeClass.create=true',
      'metrics.serviceMonitor.enabled=true',
      'api.service.type=NodePort',
      'api.service.nodePort=30385',
      'api.service.name=sandbox-executor-manager',
      'api.auth.existingSecret=mine',
      'artifacts.embedded.persistence.enabled=true',
      'artifacts.embedded.persistence.storageClass=fast',
      'artifacts.embedded.existingSecret=store-keys',
    ],
    ['artifacts.store=s3', 'artifacts.s3.existingSecret=minio', 'artifacts.s3.endpoint=http://minio:9000'],
    ['artifacts.store=none'],
  ]) {
    const r = helmRun([
      'lint',
      '--strict',
      CHART,
      '--namespace',
      'coderun',
      ...set.flatMap((s) => ['--set', s]),
    ]);
    assert.is(r.status, 0, `helm lint ${set.join(' ')}:\n${r.stdout}${r.stderr}`);
    assert.not.match(r.stdout, /\[(WARNING|ERROR)\]/);
  }
});

type ApiService = { spec: { type: string; ports: { port: number; nodePort?: number }[] } };

helmTest('the API Service is a ClusterIP by default', () => {
  const byDefault = find<ApiService>(render(), 'Service', 'coderun-api');
  assert.is(byDefault.spec.type, 'ClusterIP');
  assert.is(byDefault.spec.ports[0]?.nodePort, undefined);
});

helmTest('the API Service is a NodePort on a fixed port as `make up` sets it', () => {
  // hack/deploy.sh on the cluster `make up` brought up: localhost:9385 of the node is this NodePort.
  const makeUp = find<ApiService>(
    render(['api.service.type=NodePort', 'api.service.nodePort=9385']),
    'Service',
    'coderun-api',
  );
  assert.is(makeUp.spec.type, 'NodePort');
  assert.equal(makeUp.spec.ports[0], {
    name: 'http',
    port: 9385,
    targetPort: 'http',
    protocol: 'TCP',
    appProtocol: 'http',
    nodePort: 9385,
  });
});

helmTest('a mistyped key or a wrongly typed value fails helm template with a message naming it', () => {
  const cases: [string[], RegExp][] = [
    [['--set', 'api.replicaz=3'], /additional properties 'replicaz' not allowed/],
    [['--set', 'api.replicas=two'], /\/api\/replicas.*want integer/],
    [['--set', 'sandbox.memory.default=256m'], /\/sandbox\/memory\/default/],
    [
      ['--set', 'sandbox.images.python=coderun/sandbox-python:latest'],
      /sandbox\.images\.python: pin a version/,
    ],
    [['--set', 'image.tag=latest'], /image\.tag: pin a version/],
    [['--set', 'artifacts.store=minio'], /\/artifacts\/store.*must be one of 'embedded', 's3', 'none'/],
    [['--set', 'artifacts.embedded.image.tag=latest'], /artifacts\.embedded\.image\.tag: pin a version/],
    [['--set', 'artifacts.s3.endpoint=minio:9000'], /\/artifacts\/s3\/endpoint/],
    [['--set', 'controller.leaderElection.enabled=false'], /leaderElection\.enabled=true/],
    [['--set', 'sandbox.namespace=coderun'], /is the release namespace/],
    [
      ['--set', 'sandbox.timeoutSeconds=600'],
      /sandbox\.timeoutSeconds \(600\) exceeds sandbox\.maxTimeoutSeconds/,
    ],
    [['--set', 'runtimes.python.policy=ruby'], /\/runtimes\/python\/policy/],
    [['--set', 'runtimes.Ruby.image=x:1'], /\/runtimes/],
    [
      ['--set', 'runtimes.ruby.programFile=main.rb', '--set', 'runtimes.ruby.policy=none'],
      /runtimes\/ruby.*missing property 'image'[\s\S]*missing property 'sandboxImage'/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = helmRun(['template', 'coderun', CHART, '--namespace', 'coderun', ...args]);
    assert.is.not(r.status, 0, `${args.join(' ')} was accepted`);
    assert.match(r.stderr, message, `${args.join(' ')}: ${r.stderr}`);
  }
});

helmTest(
  'the chart registers python, nodejs and typescript (in the nodejs image) with the sandbox images, cluster-wide',
  () => {
    const runtimes = (set: string[] = []) =>
      render(set)
        .filter((d) => d.kind === 'SandboxRuntime')
        .map((d) => ({ name: d.metadata.name, namespace: d.metadata.namespace, spec: d.spec }));
    assert.equal(runtimes(['sandbox.images.python=my/python:7', 'sandbox.images.nodejs=my/node:24']), [
      {
        name: 'nodejs',
        namespace: undefined,
        spec: {
          aliases: ['javascript', 'js', 'node'],
          image: 'my/node:24',
          programFile: 'main.js',
          policy: 'javascript',
        },
      },
      {
        name: 'python',
        namespace: undefined,
        spec: { aliases: ['python3', 'py'], image: 'my/python:7', programFile: 'main.py', policy: 'python' },
      },
      {
        name: 'typescript',
        namespace: undefined,
        spec: { aliases: ['ts'], image: 'my/node:24', programFile: 'main.ts', policy: 'typescript' },
      },
    ]);
    assert.equal(
      (runtimes().find((r) => r.name === 'typescript')?.spec as { image?: string } | undefined)?.image,
      `coderun/sandbox-nodejs:${VERSION}`,
    );
  },
);

helmTest('a runtime may be left out, sized, or added under a name of its own', () => {
  const docs = render([
    'runtimes.nodejs.enabled=false',
    'runtimes.python.resources.max.memory=512Mi',
    'runtimes.ruby.image=example/ruby:3.3',
    'runtimes.ruby.aliases={rb}',
    'runtimes.ruby.programFile=main.rb',
    'runtimes.ruby.policy=none',
    'runtimes.typescript.enabled=false',
    'runtimes.esm.sandboxImage=nodejs',
    'runtimes.esm.programFile=main.mjs',
    'runtimes.esm.policy=javascript',
  ]);
  const specs = Object.fromEntries(
    docs.filter((d) => d.kind === 'SandboxRuntime').map((d) => [d.metadata.name, d.spec]),
  );
  assert.equal(Object.keys(specs), ['esm', 'python', 'ruby']);
  assert.equal((specs.esm as { image: string }).image, `coderun/sandbox-nodejs:${VERSION}`);
  assert.equal((specs.python as { resources: unknown }).resources, { max: { memory: '512Mi' } });
  assert.equal(specs.ruby, {
    aliases: ['rb'],
    image: 'example/ruby:3.3',
    programFile: 'main.rb',
    policy: 'none',
  });
});

const committedManifests = () =>
  parseAllDocuments(read('deploy/manifests/coderun.yaml'))
    .map((d) => d.toJS() as Manifest | null)
    .filter((d): d is Manifest => d !== null);

helmTest('the committed manifests hold no Secret', () => {
  assert.equal(
    committedManifests().filter((d) => d.kind === 'Secret'),
    [],
  );
});

helmTest('the committed manifests take the API token from the Secret the docs tell users to create', () => {
  const token = container(committedManifests(), 'coderun-api').env?.find(
    (e) => e.name === 'SANDBOX_EXECUTOR_MANAGER_API_TOKEN',
  );
  assert.equal(token?.valueFrom?.secretKeyRef, { name: 'coderun-api-token', key: 'token' });
  assert.match(read('deploy/manifests/coderun.yaml'), 'create secret generic coderun-api-token');
});

helmTest(
  "the committed manifests take the store's keys from the Secret the docs tell users to create",
  () => {
    const keys = container(committedManifests(), 'coderun-controller').env?.find(
      (e) => e.name === 'AWS_ACCESS_KEY_ID',
    );
    assert.equal(keys?.valueFrom?.secretKeyRef, { name: 'coderun-artifacts', key: 'accessKeyId' });
    assert.match(read('deploy/manifests/coderun.yaml'), 'create secret generic coderun-artifacts');
  },
);

helmTest('the committed manifests include the CRDs', () => {
  assert.ok(committedManifests().some((d) => d.kind === 'CustomResourceDefinition'));
});

/** What the chart renders by default into the API's and the controller's environments. */
function renderedEnv() {
  const docs = render();
  return {
    api: envOf(container(docs, 'coderun-api')),
    controller: envOf(container(docs, 'coderun-controller')),
  };
}
const EMBEDDED_STORE = {
  kind: 's3',
  endpoint: 'http://coderun-artifacts.coderun.svc:7070',
  region: 'us-east-1',
  bucket: 'coderun-artifacts',
  prefix: '',
  forcePathStyle: true,
  createBucket: true,
};

helmTest('every variable src/config reads is set by the chart', () => {
  const { api, controller } = renderedEnv();
  // Every key of each command's shape, the shared ones (src/config/common.ts) included.
  const unset = (env: Record<string, string>, shape: object) =>
    Object.keys(shape).filter((name) => !(name in env));
  assert.equal(unset(api, apiShape), []);
  assert.equal(unset(controller, controllerShape), []);
});

helmTest("the API's real config loader accepts what the chart sets", () => {
  const apiConfig = loadApiConfig(renderedEnv().api);
  assert.is(apiConfig.namespace, 'coderun-sandbox');
  assert.is(apiConfig.port, 9385);
  assert.is(apiConfig.token, 'secret-token');
  assert.is(apiConfig.allowUnauthenticated, false);
  assert.is(apiConfig.answeredRunTtlSeconds, 60);
  assert.equal(apiConfig.artifacts, EMBEDDED_STORE);
});

helmTest("the controller's real config loader accepts what the chart sets", () => {
  const c = loadControllerConfig(renderedEnv().controller);
  assert.equal(c.namespaces, ['coderun-sandbox']);
  assert.equal(c.images, {
    python: `coderun/sandbox-python:${VERSION}`,
    nodejs: `coderun/sandbox-nodejs:${VERSION}`,
  });
  assert.is(c.runtimeClassName, 'gvisor');
  assert.is(c.seccompProfile, 'coderun/sandbox.json');
  assert.equal(c.artifacts, EMBEDDED_STORE);
  assert.equal(
    [c.artifactHoldSeconds, c.artifactCollections, c.artifactSweepSeconds, c.statusPreviewBytes],
    [60, 4, 300, 4096],
  );
  assert.equal(c.leaderElection, {
    enabled: true,
    leaseName: 'coderun-controller',
    leaseNamespace: 'coderun',
    identity: 'pod-0',
    leaseDurationSeconds: 15,
    renewDeadlineSeconds: 10,
    retryPeriodSeconds: 2,
  });
});

helmTest('numbers from a values file reach the environment as integers, not 4.194304e+06', () => {
  const docs = render([], {
    api: { bodyLimitBytes: 4194304, maxInflight: 100 },
    sandbox: { cpu: { default: 0.5, max: 4 }, maxOutputBytes: 131072 },
  });
  const api = envOf(container(docs, 'coderun-api'));
  const controller = envOf(container(docs, 'coderun-controller'));
  assert.is(api.CODERUN_BODY_LIMIT, '4194304');
  assert.is(api.CODERUN_MAX_INFLIGHT, '100');
  assert.is(controller.CODERUN_DEFAULT_CPU, '0.5');
  assert.is(controller.CODERUN_MAX_CPU, '4');
  assert.is(controller.CODERUN_MAX_OUTPUT_BYTES, '131072');
  assert.is(loadApiConfig(api).bodyLimitBytes, 4194304);
  assert.is(loadControllerConfig(controller).maxCpuMillis, 4000);
});

helmTest('the largest sandbox Pod fits the LimitRange and is selected by the deny-all NetworkPolicy', () => {
  const docs = render();
  const config = loadControllerConfig(envOf(container(docs, 'coderun-controller')));
  const pod = sandboxPodOf(makeRun({ resources: { cpu: '64', memory: '64Gi' } }), config);
  const limits = pod.spec?.containers[0]?.resources?.limits as Record<string, string>;
  const max = find<V1LimitRange>(docs, 'LimitRange').spec?.limits[0]?.max as Record<string, string>;
  for (const resource of ['cpu', 'memory', 'ephemeral-storage']) {
    assert.ok(
      (parseQuantity(limits[resource] as string) as number) <=
        (parseQuantity(max[resource] as string) as number),
      `${resource}: ${limits[resource]} > LimitRange max ${max[resource]}`,
    );
  }
  const policy = find(docs, 'NetworkPolicy', 'coderun-sandbox-deny-all') as Manifest & {
    spec: {
      podSelector: { matchLabels: Record<string, string> };
      policyTypes: string[];
      ingress?: unknown;
      egress?: unknown;
    };
  };
  for (const [k, v] of Object.entries(policy.spec.podSelector.matchLabels)) {
    assert.is(pod.metadata?.labels?.[k], v, `sandbox Pods lack ${k}=${v}`);
  }
  assert.equal(policy.spec.policyTypes, ['Ingress', 'Egress']);
  assert.is(policy.spec.ingress, undefined);
  assert.is(policy.spec.egress, undefined);
  assert.is(pod.metadata?.labels?.[LABELS.component], 'sandbox');
});

/** The rules of the Role `name`, asserted to be in `namespace`, one line each. */
function roleRules(docs: Manifest[], name: string, namespace: string): string[] {
  const role = docs.find((d) => d.kind === 'Role' && d.metadata.name === name) as unknown as V1Role;
  assert.is(role?.metadata?.namespace, namespace, `Role ${name}`);
  return (role.rules ?? []).map(
    (r) =>
      `${r.apiGroups?.join(',')}/${r.resources?.join(',')}${r.resourceNames ? `[${r.resourceNames}]` : ''}: ${r.verbs.join(',')}`,
  );
}

helmTest('RBAC has one cluster role, to read SandboxRuntimes, bound to the API and the controller', () => {
  const docs = render();
  assert.equal(
    docs.filter((d) => d.kind.startsWith('Cluster')).map((d) => `${d.kind}/${d.metadata.name}`),
    ['ClusterRole/coderun-coderun-runtime-reader', 'ClusterRoleBinding/coderun-coderun-runtime-reader'],
  );
  const reader = docs.find((d) => d.kind === 'ClusterRole') as unknown as V1Role;
  assert.equal(reader.rules, [
    { apiGroups: ['coderun.dev'], resources: ['sandboxruntimes'], verbs: ['get', 'list', 'watch'] },
  ]);
  const binding = docs.find((d) => d.kind === 'ClusterRoleBinding') as unknown as {
    subjects: { name: string }[];
  };
  assert.equal(
    binding.subjects.map((s) => s.name),
    ['coderun-api', 'coderun-controller'],
  );
});

helmTest("the API's Role, in the sandbox namespace, only creates, reads and deletes CodeRuns", () => {
  assert.equal(roleRules(render(), 'coderun-api', 'coderun-sandbox'), [
    'coderun.dev/coderuns: create,get,list,watch,delete',
  ]);
});

helmTest("the controller's Role, in the sandbox namespace, holds what its reconciles do and no more", () => {
  assert.equal(roleRules(render(), 'coderun-controller', 'coderun-sandbox'), [
    // create: the isolation self-test's probe run.
    'coderun.dev/coderuns: get,list,watch,update,patch,delete,create',
    'coderun.dev/coderuns/status: get,update,patch',
    '/pods: create,get,list,watch,update,delete',
    'coderun.dev/sandboxpools: get,list,watch',
    'coderun.dev/sandboxpools/status: get,update,patch',
    '/pods/attach: create,get',
    '/pods/log: get',
    '/pods/resize: patch',
    '/pods/exec: create,get',
    '/events: create,patch',
  ]);
});

helmTest(
  "the controller's leader-election and self-test Roles, in its own namespace, reach only their named objects",
  () => {
    const docs = render();
    assert.equal(roleRules(docs, 'coderun-controller-leader-election', 'coderun'), [
      'coordination.k8s.io/leases: create',
      'coordination.k8s.io/leases[coderun-controller]: get,update',
    ]);
    assert.equal(roleRules(docs, 'coderun-controller-self-test', 'coderun'), [
      '/configmaps: create',
      '/configmaps[coderun-self-test]: get,update',
    ]);
  },
);

helmTest("by default the API has no Role to read the self-test's ConfigMap", () => {
  // The API reads the self-test's ConfigMap only when its readiness requires a pass.
  assert.not.ok(render().some((d) => d.kind === 'Role' && d.metadata.name === 'coderun-api-self-test'));
});

helmTest(
  "the API and the controller may read the embedded store's Service, and only while there is one",
  () => {
    // Both read the embedded store's Service (its cluster IP, where DNS cannot resolve its name), nothing else.
    assert.equal(roleRules(render(), 'coderun-artifacts-endpoint', 'coderun'), [
      '/services[coderun-artifacts]: get',
    ]);
    assert.not.ok(
      render(['artifacts.store=none']).some(
        (d) => d.kind === 'Role' && d.metadata.name.endsWith('-endpoint'),
      ),
    );
  },
);

helmTest('the isolation self-test runs hourly by default, and the API does not require it', () => {
  const defaults = render();
  const controllerEnv = envOf(container(defaults, 'coderun-controller'));
  assert.equal(loadControllerConfig(controllerEnv).selfTest, {
    enabled: true,
    intervalSeconds: 3600,
    namespace: 'coderun-sandbox',
    configMap: { namespace: 'coderun', name: 'coderun-self-test' },
  });
  assert.is(loadApiConfig(envOf(container(defaults, 'coderun-api'))).requireSelfTest, null);
});

helmTest('the API requires the isolation self-test when asked, with a Role to read its ConfigMap', () => {
  const required = render(['selfTest.requireForApiReadiness=true', 'selfTest.intervalSeconds=0']);
  assert.equal(loadApiConfig(envOf(container(required, 'coderun-api'))).requireSelfTest, {
    namespace: 'coderun',
    name: 'coderun-self-test',
  });
  assert.is(
    loadControllerConfig(envOf(container(required, 'coderun-controller'))).selfTest.intervalSeconds,
    0,
  );
  const apiRole = find<V1Role>(required, 'Role', 'coderun-api-self-test');
  assert.equal(apiRole.metadata?.namespace, 'coderun');
  assert.equal(apiRole.rules, [
    { apiGroups: [''], resources: ['configmaps'], resourceNames: ['coderun-self-test'], verbs: ['get'] },
  ]);
  assert.ok(find(required, 'RoleBinding', 'coderun-api-self-test'));
});

helmTest('the isolation self-test turned off takes its rights away', () => {
  const off = render(['selfTest.enabled=false']);
  assert.is(loadControllerConfig(envOf(container(off, 'coderun-controller'))).selfTest.enabled, false);
  assert.not.ok(off.some((d) => d.kind === 'Role' && d.metadata.name.endsWith('-self-test')));
  const sandboxRole = find<V1Role>(off, 'Role', 'coderun-controller');
  assert.not.ok(sandboxRole.rules?.[0]?.verbs.includes('create'), 'create coderuns without the self-test');
});

helmTest(
  'requiring a self-test that is off, or running it more often than allowed, fails helm template',
  () => {
    const contradiction = helmRun([
      'template',
      'coderun',
      CHART,
      '--set',
      'selfTest.enabled=false',
      '--set',
      'selfTest.requireForApiReadiness=true',
    ]);
    assert.is.not(contradiction.status, 0);
    assert.match(contradiction.stderr, 'selfTest.requireForApiReadiness=true needs selfTest.enabled=true');
    const tooOften = helmRun(['template', 'coderun', CHART, '--set', 'selfTest.intervalSeconds=30']);
    assert.is.not(tooOften.status, 0);
    assert.match(tooOften.stderr, 'intervalSeconds');
  },
);

helmTest('operator Pods run non-root, read-only, with no capabilities', () => {
  const docs = render();
  for (const name of ['coderun-api', 'coderun-controller']) {
    const c = container(docs, name);
    assert.equal(c.securityContext?.capabilities?.drop, ['ALL'], name);
    assert.is(c.securityContext?.runAsNonRoot, true, name);
    assert.is(c.securityContext?.readOnlyRootFilesystem, true, name);
    assert.is(c.securityContext?.allowPrivilegeEscalation, false, name);
    assert.is(c.securityContext?.seccompProfile?.type, 'RuntimeDefault', name);
    assert.equal(c.args, [name.replace('coderun-', '')]);
  }
});

helmTest(
  'only the seccomp installer is root: read-only, unprivileged, with no capabilities and no token',
  () => {
    const ds = find<V1Deployment>(render(), 'DaemonSet').spec?.template.spec;
    const installer = [...(ds?.initContainers ?? []), ...(ds?.containers ?? [])];
    assert.is(installer.length, 2);
    for (const c of installer) {
      assert.equal(c.securityContext?.capabilities?.drop, ['ALL']);
      assert.is(c.securityContext?.readOnlyRootFilesystem, true);
      assert.is(c.securityContext?.privileged, false);
    }
    assert.is(ds?.automountServiceAccountToken, false);
  },
);

helmTest('the installer writes the profile where the kubelet looks for sandbox.seccompProfile', () => {
  for (const [set, dir, file] of [
    [[], '/var/lib/kubelet/seccomp/coderun', 'sandbox.json'],
    [
      ['seccompInstaller.kubeletRootDir=/data/kubelet/', 'sandbox.seccompProfile=profiles/strict.json'],
      '/data/kubelet/seccomp/profiles',
      'strict.json',
    ],
  ] as const) {
    const docs = render([...set]);
    const spec = find<V1Deployment>(docs, 'DaemonSet').spec?.template.spec;
    assert.is(spec?.volumes?.find((v) => v.name === 'host-seccomp')?.hostPath?.path, dir);
    assert.is(spec?.containers[0]?.env?.find((e) => e.name === 'PROFILE_FILE')?.value, file);
    const configMap = find(docs, 'ConfigMap') as Manifest & { data: Record<string, string> };
    assert.equal(Object.keys(configMap.data), [file]);
    assert.is(configMap.data[file], read('charts/coderun/files/seccomp/sandbox.json'));
  }
  assert.not.ok(render(['seccompInstaller.enabled=false']).some((d) => d.kind === 'DaemonSet'));
});

// A profile that denies mkdir outright, otherwise the shipped one: what a platform team would write.
const SHIPPED_PROFILE = JSON.parse(read('charts/coderun/files/seccomp/sandbox.json'));
const NO_MKDIR = {
  ...SHIPPED_PROFILE,
  syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }, ...SHIPPED_PROFILE.syscalls],
};
const sha12 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

/** What the release installs and points the controller at: the DaemonSet, the chart's ConfigMap, the path. */
function seccompOf(docs: Manifest[]) {
  const ds = find<V1Deployment>(docs, 'DaemonSet').spec?.template;
  const configMap = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'coderun-seccomp') as
    | (Manifest & { data: Record<string, string> })
    | undefined;
  const env = envOf(container(docs, 'coderun-controller'));
  return {
    file: ds?.spec?.containers[0]?.env?.find((e) => e.name === 'PROFILE_FILE')?.value,
    checksum: ds?.metadata?.annotations?.['checksum/profile'],
    volume: ds?.spec?.volumes?.find((v) => v.name === 'profile')?.configMap,
    data: configMap?.data,
    path: env.CODERUN_SECCOMP_PROFILE,
    pod: sandboxPodOf(makeRun(), loadControllerConfig(env)),
  };
}

helmTest(
  'a custom profile, as JSON text or as a map, is installed under a name from its hash and used by sandbox Pods',
  () => {
    // Installed as given, with the one final newline a file has.
    const text = `${JSON.stringify(NO_MKDIR, null, 2)}\n`;
    const file = `sandbox-${sha12(text)}.json`;
    const installed = seccompOf(render([], { seccompInstaller: { profile: text } }));
    assert.is(installed.file, file);
    assert.equal(installed.data, { [file]: text });
    assert.is(installed.path, `coderun/${file}`);
    assert.equal(installed.pod.spec?.securityContext?.seccompProfile, {
      type: 'Localhost',
      localhostProfile: `coderun/${file}`,
    });
    assert.is(installed.checksum, createHash('sha256').update(text).digest('hex'));

    // A map is installed as JSON with the same rules; the shipped profile keeps its own name.
    const map = seccompOf(render([], { seccompInstaller: { profile: NO_MKDIR } }));
    const [mapFile, mapText] = Object.entries(map.data ?? {})[0] ?? [];
    assert.equal(JSON.parse(mapText ?? ''), NO_MKDIR);
    assert.is(mapFile, `sandbox-${sha12(mapText ?? '')}.json`);
    assert.is(map.path, `coderun/${mapFile}`);
    const shipped = seccompOf(render());
    assert.is(shipped.path, 'coderun/sandbox.json');
    assert.equal(shipped.data, { 'sandbox.json': read('charts/coderun/files/seccomp/sandbox.json') });
  },
);

helmTest('a changed profile is a new file, a new installer template and a new warm-pool Pod template', () => {
  const one = seccompOf(render([], { seccompInstaller: { profile: NO_MKDIR } }));
  const other = seccompOf(
    render([], { seccompInstaller: { profile: { ...NO_MKDIR, defaultAction: 'SCMP_ACT_KILL' } } }),
  );
  const shipped = seccompOf(render());
  assert.is(new Set([one.path, other.path, shipped.path]).size, 3);
  assert.is(new Set([one.checksum, other.checksum, shipped.checksum]).size, 3);
  // Pool Pods carry a hash of their spec: a Pod built with another profile is replaced, not claimed.
  assert.is.not(JSON.stringify(one.pod.spec), JSON.stringify(other.pod.spec));
});

helmTest(
  'a profile from an existing ConfigMap is mounted by its key under a name from the ConfigMap and key',
  () => {
    const docs = render([
      'seccompInstaller.existingConfigMap.name=team-profiles',
      'seccompInstaller.existingConfigMap.key=no-mkdir.json',
    ]);
    const installed = seccompOf(docs);
    const file = `sandbox-${sha12('team-profiles/no-mkdir.json')}.json`;
    assert.is(installed.file, file);
    assert.equal(installed.volume, { name: 'team-profiles', items: [{ key: 'no-mkdir.json', path: file }] });
    assert.is(installed.data, undefined, 'the chart renders no ConfigMap of its own');
    assert.is(installed.path, `coderun/${file}`);
  },
);

helmTest(
  'a profile runsc could not load, or values that cannot install it, stop the release with the reason',
  () => {
    const { defaultAction: _, ...noDefault } = NO_MKDIR;
    const cases: [object, string[], RegExp][] = [
      [
        { profile: '{"defaultAction": "SCMP_ACT_ERRNO",' },
        [],
        /seccompInstaller\.profile is not a JSON object/,
      ],
      [{ profile: '["mkdir"]' }, [], /seccompInstaller\.profile is not a JSON object/],
      [{ profile: JSON.stringify(noDefault) }, [], /seccompInstaller\.profile has no defaultAction/],
      [{ profile: noDefault }, [], /\/seccompInstaller\/profile.*missing property 'defaultAction'/s],
      [
        { profile: { defaultAction: 'SCMP_ACT_LOG' } },
        [],
        /defaultAction SCMP_ACT_LOG is not one gVisor accepts/,
      ],
      [
        {
          profile: {
            defaultAction: 'SCMP_ACT_ALLOW',
            syscalls: [{ names: ['ptrace'], action: 'SCMP_ACT_NOTIFY' }],
          },
        },
        [],
        /syscalls\[0\] \(ptrace\) has action SCMP_ACT_NOTIFY, not one gVisor accepts/,
      ],
      [
        { profile: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] } },
        [],
        /syscalls\[0\] needs names/,
      ],
      [
        {
          profile: {
            defaultAction: 'SCMP_ACT_ALLOW',
            syscalls: [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }],
          },
        },
        [],
        /must allow clone3: gVisor answers a denied call with EPERM whatever errnoRet says/,
      ],
      [{ profile: { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [] } }, [], /must allow clone3/],
      [
        { profile: NO_MKDIR, existingConfigMap: { name: 'team-profiles', key: 'p.json' } },
        [],
        /seccompInstaller\.profile and seccompInstaller\.existingConfigMap\.name both name/,
      ],
      [{ profile: NO_MKDIR, enabled: false }, [], /needs seccompInstaller\.enabled=true/],
      [{ profile: NO_MKDIR }, ['sandbox.seccompProfile='], /needs sandbox\.seccompProfile/],
    ];
    for (const [installer, set, message] of cases) {
      assert.throws(() => render(set, { seccompInstaller: installer }), message, JSON.stringify(installer));
    }
  },
);

helmTest(
  'the token: generated unless a Secret is named, and none at all when unauthenticated is allowed',
  () => {
    const generated = render();
    const secret = find(generated, 'Secret', 'coderun-api-token') as Manifest & { data: { token: string } };
    assert.is(Buffer.from(secret.data.token, 'base64').toString().length, 48);

    const tokenSecret = (docs: Manifest[]) =>
      docs.some((d) => d.kind === 'Secret' && d.metadata.name === 'coderun-api-token');
    const existing = render(['api.auth.existingSecret=ragflow-sandbox', 'api.auth.existingSecretKey=key']);
    assert.not.ok(tokenSecret(existing));
    const ref = container(existing, 'coderun-api').env?.find(
      (e) => e.name === 'SANDBOX_EXECUTOR_MANAGER_API_TOKEN',
    );
    assert.equal(ref?.valueFrom?.secretKeyRef, { name: 'ragflow-sandbox', key: 'key' });

    const open = render(['api.auth.allowUnauthenticated=true']);
    assert.not.ok(tokenSecret(open));
    const env = envOf(container(open, 'coderun-api'));
    assert.not.ok('SANDBOX_EXECUTOR_MANAGER_API_TOKEN' in env);
    const config = loadApiConfig(env);
    assert.equal([config.token, config.allowUnauthenticated], [undefined, true]);
  },
);

helmTest('the Service can take exactly the name RAGFlow dials by default', () => {
  const docs = render(['api.service.name=sandbox-executor-manager']);
  const service = find(docs, 'Service') as Manifest & {
    spec: { ports: { port: number; targetPort: string }[] };
  };
  assert.is(service.metadata.name, 'sandbox-executor-manager');
  assert.equal(
    service.spec.ports.map((p) => [p.port, p.targetPort]),
    [[9385, 'http']],
  );
  assert.is(find(render(), 'Service').metadata.name, 'coderun-api');
  assert.is(find(render([], undefined), 'Service').metadata.namespace, 'coderun');
});

helmTest('the sandbox namespace enforces the restricted Pod Security level', () => {
  const ns = find(render(), 'Namespace', 'coderun-sandbox') as Manifest & {
    metadata: { labels: Record<string, string> };
  };
  assert.is(ns.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
});

helmTest('the sandbox namespace has a quota on CodeRuns, Pods, CPU and memory', () => {
  const quota = find(render(), 'ResourceQuota') as Manifest & { spec: { hard: Record<string, string> } };
  assert.equal(Object.keys(quota.spec.hard).sort(), [
    'count/coderuns.coderun.dev',
    'limits.cpu',
    'limits.memory',
    'pods',
  ]);
  assert.is(quota.spec.hard['count/coderuns.coderun.dev'], '500');
});

helmTest('the RuntimeClass and the ServiceMonitor stay off by default, and render when asked', () => {
  const docs = render();
  for (const kind of ['RuntimeClass', 'ServiceMonitor'])
    assert.not.ok(
      docs.some((d) => d.kind === kind),
      kind,
    );
  const on = render([
    'runtimeClass.create=true',
    'metrics.serviceMonitor.enabled=true',
    'sandbox.createNamespace=false',
  ]);
  const rc = find(on, 'RuntimeClass') as Manifest & { handler: string };
  assert.equal([rc.metadata.name, rc.handler], ['gvisor', 'runsc']);
  assert.ok(on.some((d) => d.kind === 'ServiceMonitor'));
});

helmTest('an existing sandbox namespace (createNamespace=false) still gets its NetworkPolicy', () => {
  const on = render([
    'runtimeClass.create=true',
    'metrics.serviceMonitor.enabled=true',
    'sandbox.createNamespace=false',
  ]);
  assert.not.ok(on.some((d) => d.kind === 'Namespace'));
  assert.ok(on.some((d) => d.kind === 'NetworkPolicy' && d.metadata.namespace === 'coderun-sandbox'));
});

helmTest(
  'the controller probes /healthz and /readyz on its named port, which its metrics Service and ServiceMonitor scrape',
  () => {
    type Service = {
      metadata: { labels: Record<string, string> };
      spec: {
        type: string;
        selector: Record<string, string>;
        ports: { name: string; port: number; targetPort: string }[];
      };
    };
    type Monitor = {
      spec: {
        selector: { matchLabels: Record<string, string> };
        endpoints: { port: string; path: string }[];
      };
    };
    for (const [set, port] of [
      [[], 8081],
      [['controller.containerPort=9090'], 9090],
    ] as const) {
      const docs = render([...set, 'metrics.serviceMonitor.enabled=true']);
      const deployment = find<V1Deployment>(docs, 'Deployment', 'coderun-controller');
      const c = deployment.spec?.template.spec?.containers[0] as V1Container;
      assert.equal(
        c.ports?.map((p) => [p.name, p.containerPort]),
        [['http', port]],
      );
      assert.equal([c.livenessProbe?.httpGet?.path, c.livenessProbe?.httpGet?.port], ['/healthz', 'http']);
      assert.equal([c.readinessProbe?.httpGet?.path, c.readinessProbe?.httpGet?.port], ['/readyz', 'http']);
      const config = loadControllerConfig(envOf(c));
      assert.equal(config.http, { host: '0.0.0.0', port });
      assert.is(config.watchLivenessSeconds, 120);

      const service = find<Service>(docs, 'Service', 'coderun-controller');
      assert.is(service.spec.type, 'ClusterIP');
      assert.equal(
        service.spec.ports.map((p) => [p.name, p.port, p.targetPort]),
        [['metrics', port, 'http']],
      );
      const podLabels = deployment.spec?.template.metadata?.labels ?? {};
      for (const [k, v] of Object.entries(service.spec.selector)) assert.is(podLabels[k], v, k);

      const monitor = find<Monitor>(docs, 'ServiceMonitor', 'coderun-controller');
      assert.equal(
        monitor.spec.endpoints.map((e) => [e.port, e.path]),
        [['metrics', '/metrics']],
      );
      for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels))
        assert.is(service.metadata.labels[k], v, k);
      // Only the controller's Service carries its labels, so the API's monitor does not scrape it twice.
      const apiMonitor = find<Monitor>(docs, 'ServiceMonitor', 'coderun-api');
      assert.is.not(
        apiMonitor.spec.selector.matchLabels['app.kubernetes.io/component'],
        service.metadata.labels['app.kubernetes.io/component'],
      );
    }
  },
);

// ---------------------------------------------------------------------------------------------------
// The artifacts store

const ARTIFACTS = 'coderun-artifacts';
const artifactsEnvOf = (c: V1Container): Record<string, V1EnvVar> =>
  Object.fromEntries(
    (c.env ?? []).filter((e) => /^(CODERUN_ARTIFACTS_|AWS_)/.test(e.name)).map((e) => [e.name, e]),
  );
const artifactObjects = (docs: Manifest[]) =>
  docs.filter((d) => d.metadata.name === ARTIFACTS).map((d) => `${d.kind}/${d.metadata.name}`);
const secretRef = (name: string, key: string) => ({ valueFrom: { secretKeyRef: { name, key } } });

helmTest('by default the chart runs the embedded store and points the API and the controller at it', () => {
  const docs = render();
  assert.equal(artifactObjects(docs).sort(), [
    'Deployment/coderun-artifacts',
    'NetworkPolicy/coderun-artifacts',
    'Secret/coderun-artifacts',
    'Service/coderun-artifacts',
  ]);
  const service = find(docs, 'Service', ARTIFACTS) as Manifest & {
    spec: { type: string; ports: { name: string; port: number; targetPort: string }[] };
  };
  assert.is(service.spec.type, 'ClusterIP');
  assert.equal(
    service.spec.ports.map((p) => [p.name, p.port, p.targetPort]),
    [['s3', 7070, 's3']],
  );
  for (const name of ['coderun-api', 'coderun-controller']) {
    const c = container(docs, name);
    const env = envOf(c);
    assert.equal(
      Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('CODERUN_ARTIFACTS_'))),
      {
        CODERUN_ARTIFACTS_STORE: 's3',
        CODERUN_ARTIFACTS_S3_ENDPOINT: 'http://coderun-artifacts.coderun.svc:7070',
        CODERUN_ARTIFACTS_S3_REGION: 'us-east-1',
        CODERUN_ARTIFACTS_S3_BUCKET: 'coderun-artifacts',
        CODERUN_ARTIFACTS_S3_PREFIX: '',
        CODERUN_ARTIFACTS_S3_FORCE_PATH_STYLE: 'true',
        CODERUN_ARTIFACTS_S3_CREATE_BUCKET: 'true',
      },
      name,
    );
    const vars = artifactsEnvOf(c);
    assert.equal(vars.AWS_ACCESS_KEY_ID?.valueFrom, secretRef(ARTIFACTS, 'accessKeyId').valueFrom, name);
    assert.equal(
      vars.AWS_SECRET_ACCESS_KEY?.valueFrom,
      secretRef(ARTIFACTS, 'secretAccessKey').valueFrom,
      name,
    );
  }
});

helmTest(
  'the embedded store signs with the keys its clients get: its root account from the same Secret',
  () => {
    const docs = render();
    const store = container(docs, ARTIFACTS);
    const env = Object.fromEntries((store.env ?? []).map((e) => [e.name, e.valueFrom?.secretKeyRef]));
    assert.equal(env, {
      ROOT_ACCESS_KEY_ID: { name: ARTIFACTS, key: 'accessKeyId' },
      ROOT_SECRET_ACCESS_KEY: { name: ARTIFACTS, key: 'secretAccessKey' },
    });
    const secret = find(docs, 'Secret', ARTIFACTS) as Manifest & { data: Record<string, string> };
    const decoded = Object.fromEntries(
      Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
    );
    assert.match(decoded.accessKeyId ?? '', /^[A-Z0-9]{20}$/);
    assert.match(decoded.secretAccessKey ?? '', /^[A-Za-z0-9]{40}$/);

    const named = render(['artifacts.embedded.existingSecret=store-keys']);
    assert.not.ok(named.some((d) => d.kind === 'Secret' && d.metadata.name === ARTIFACTS));
    for (const name of [ARTIFACTS, 'coderun-api', 'coderun-controller'])
      for (const e of container(named, name).env ?? [])
        if (e.valueFrom?.secretKeyRef && e.name !== 'SANDBOX_EXECUTOR_MANAGER_API_TOKEN')
          assert.is(e.valueFrom.secretKeyRef.name, 'store-keys', `${name} ${e.name}`);
  },
);

helmTest(
  'the embedded store: one replica, Recreate, non-root, read-only, no token, probed on its S3 port',
  () => {
    const deployment = find<V1Deployment>(render(), 'Deployment', ARTIFACTS);
    const spec = deployment.spec;
    const pod = spec?.template.spec;
    const c = pod?.containers[0] as V1Container;
    assert.is(spec?.replicas, 1);
    assert.is(spec?.strategy?.type, 'Recreate');
    assert.is(pod?.automountServiceAccountToken, false);
    assert.is(pod?.enableServiceLinks, false);
    assert.is(pod?.securityContext?.runAsNonRoot, true);
    assert.is(pod?.securityContext?.fsGroup, 65532);
    assert.equal(c.securityContext?.capabilities?.drop, ['ALL']);
    assert.is(c.securityContext?.runAsNonRoot, true);
    assert.is(c.securityContext?.readOnlyRootFilesystem, true);
    assert.is(c.securityContext?.allowPrivilegeEscalation, false);
    assert.is(c.image, 'coderun/artifacts:v1.8.0');
    assert.equal(
      c.ports?.map((p) => [p.name, p.containerPort]),
      [['s3', 7070]],
    );
    assert.equal(c.args, [
      '--port',
      ':7070',
      '--region',
      'us-east-1',
      '--health',
      '/health',
      '--quiet',
      'posix',
      '/data',
    ]);
    for (const probe of [c.readinessProbe, c.livenessProbe])
      assert.equal([probe?.httpGet?.path, probe?.httpGet?.port], ['/health', 's3']);
    assert.equal(
      c.volumeMounts?.map((m) => [m.name, m.mountPath]),
      [
        ['data', '/data'],
        ['tmp', '/tmp'],
      ],
    );
  },
);

helmTest(
  'the store keeps artifacts on a claim when persistence is on, else on a size-limited emptyDir',
  () => {
    const dataVolume = (docs: Manifest[]) =>
      find<V1Deployment>(docs, 'Deployment', ARTIFACTS).spec?.template.spec?.volumes?.find(
        (v) => v.name === 'data',
      );
    const ephemeral = render();
    assert.equal(dataVolume(ephemeral)?.emptyDir, { sizeLimit: '2Gi' });
    assert.not.ok(ephemeral.some((d) => d.kind === 'PersistentVolumeClaim'));

    const kept = render([
      'artifacts.embedded.persistence.enabled=true',
      'artifacts.embedded.persistence.size=10Gi',
      'artifacts.embedded.persistence.storageClass=fast',
    ]);
    assert.equal(dataVolume(kept)?.persistentVolumeClaim, { claimName: ARTIFACTS });
    const claim = find(kept, 'PersistentVolumeClaim', ARTIFACTS) as Manifest & {
      spec: { accessModes: string[]; storageClassName: string; resources: { requests: { storage: string } } };
    };
    assert.equal(claim.spec, {
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'fast',
      resources: { requests: { storage: '10Gi' } },
    });
  },
);

helmTest(
  'store=s3 with existingSecret: no store of the chart, and the named store and Secret in both Deployments',
  () => {
    const docs = render([
      'artifacts.store=s3',
      'artifacts.s3.endpoint=http://ragflow-minio.ragflow.svc:9000',
      'artifacts.s3.region=eu-west-1',
      'artifacts.s3.bucket=ragflow-artifacts',
      'artifacts.s3.prefix=coderun/',
      'artifacts.s3.forcePathStyle=false',
      'artifacts.s3.existingSecret=minio-keys',
      'artifacts.s3.accessKeyIdKey=user',
      'artifacts.s3.secretAccessKeyKey=password',
    ]);
    assert.equal(artifactObjects(docs), []);
    for (const name of ['coderun-api', 'coderun-controller']) {
      const vars = artifactsEnvOf(container(docs, name));
      assert.equal(
        Object.fromEntries(Object.entries(vars).map(([k, e]) => [k, e.value ?? e.valueFrom])),
        {
          CODERUN_ARTIFACTS_STORE: 's3',
          CODERUN_ARTIFACTS_S3_ENDPOINT: 'http://ragflow-minio.ragflow.svc:9000',
          CODERUN_ARTIFACTS_S3_REGION: 'eu-west-1',
          CODERUN_ARTIFACTS_S3_BUCKET: 'ragflow-artifacts',
          CODERUN_ARTIFACTS_S3_PREFIX: 'coderun/',
          CODERUN_ARTIFACTS_S3_FORCE_PATH_STYLE: 'false',
          CODERUN_ARTIFACTS_S3_CREATE_BUCKET: 'false',
          AWS_ACCESS_KEY_ID: secretRef('minio-keys', 'user').valueFrom,
          AWS_SECRET_ACCESS_KEY: secretRef('minio-keys', 'password').valueFrom,
        },
        name,
      );
    }
  },
);

helmTest('store=s3 without a Secret sets no keys, so the AWS SDK default chain (IRSA) applies', () => {
  const docs = render(['artifacts.store=s3']);
  for (const name of ['coderun-api', 'coderun-controller']) {
    const vars = artifactsEnvOf(container(docs, name));
    assert.is(vars.CODERUN_ARTIFACTS_STORE?.value, 's3');
    assert.is(vars.CODERUN_ARTIFACTS_S3_ENDPOINT?.value, '');
    assert.not.ok('AWS_ACCESS_KEY_ID' in vars || 'AWS_SECRET_ACCESS_KEY' in vars, name);
  }
});

helmTest('store=none renders no store and CODERUN_ARTIFACTS_STORE=none alone', () => {
  const docs = render(['artifacts.store=none']);
  assert.equal(artifactObjects(docs), []);
  for (const name of ['coderun-api', 'coderun-controller']) {
    const vars = artifactsEnvOf(container(docs, name));
    assert.equal(Object.keys(vars), ['CODERUN_ARTIFACTS_STORE'], name);
    assert.is(vars.CODERUN_ARTIFACTS_STORE?.value, 'none');
  }
  assert.equal(loadApiConfig(envOf(container(docs, 'coderun-api'))).artifacts, { kind: 'none' });
  assert.equal(loadControllerConfig(envOf(container(docs, 'coderun-controller'))).artifacts, {
    kind: 'none',
  });
});

helmTest(
  'only the API and the controller reach the embedded store; no sandbox Pod can, and it dials nothing',
  () => {
    type Policy = {
      metadata: { namespace: string };
      spec: {
        podSelector: { matchLabels: Record<string, string> };
        policyTypes: string[];
        ingress: {
          from: { podSelector: { matchLabels: Record<string, string> }; namespaceSelector?: unknown }[];
        }[];
        egress?: unknown;
      };
    };
    const docs = render();
    const policy = find<Policy>(docs, 'NetworkPolicy', ARTIFACTS);
    assert.is(policy.metadata.namespace, 'coderun');
    assert.equal(policy.spec.policyTypes, ['Ingress', 'Egress']);
    assert.is(policy.spec.egress, undefined);
    const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
      Object.entries(selector).every(([k, v]) => labels[k] === v);
    const podLabels = (name: string) =>
      find<V1Deployment>(docs, 'Deployment', name).spec?.template.metadata?.labels;
    assert.ok(matches(policy.spec.podSelector.matchLabels, podLabels(ARTIFACTS)));
    const from = policy.spec.ingress.flatMap((rule) => rule.from);
    // A podSelector without a namespaceSelector matches the policy's own namespace only.
    assert.ok(from.every((peer) => peer.namespaceSelector === undefined));
    const admitted = (labels?: Record<string, string>) =>
      from.some((peer) => matches(peer.podSelector.matchLabels, labels));
    assert.ok(admitted(podLabels('coderun-api')));
    assert.ok(admitted(podLabels('coderun-controller')));
    assert.not.ok(admitted(podLabels(ARTIFACTS)));
    const config = loadControllerConfig(envOf(container(docs, 'coderun-controller')));
    assert.not.ok(admitted(sandboxPodOf(makeRun(), config).metadata?.labels));
    assert.not.ok(
      render(['artifacts.embedded.networkPolicy.enabled=false']).some(
        (d) => d.kind === 'NetworkPolicy' && d.metadata.name === ARTIFACTS,
      ),
    );
  },
);

const poolsByName = (docs: Manifest[]) =>
  Object.fromEntries(
    docs
      .filter((d) => d.kind === 'SandboxPool')
      .map((d) => [d.metadata.name, (d as unknown as { spec: Record<string, unknown> }).spec]),
  );

helmTest('pools: python and nodejs by default', () => {
  assert.equal(poolsByName(render()), {
    python: { language: 'python', replicas: 2, maxIdleSeconds: 3600 },
    nodejs: { language: 'nodejs', replicas: 1, maxIdleSeconds: 3600 },
  });
});

helmTest('a pool under a name of its own serves the language it names', () => {
  const data = poolsByName(
    render([], {
      pools: { 'python-data': { language: 'python', replicas: 2, preload: ['pandas', 'numpy'] } },
    }),
  );
  assert.equal(data['python-data'], { language: 'python', replicas: 2, preload: ['pandas', 'numpy'] });
});

helmTest(
  'a pool under a name of its own without a language, or under a name Kubernetes refuses, fails helm template',
  () => {
    const refused = helmRun(['template', 'coderun', CHART, '--set', 'pools.python-data.replicas=1']);
    assert.is(refused.status, 1);
    assert.match(refused.stderr, /language/);
    const badName = helmRun(['template', 'coderun', CHART, '--set', 'pools.Data_Pool.language=python']);
    assert.is(badName.status, 1);
  },
);

test.run();
