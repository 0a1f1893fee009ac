// The Helm chart against a real API server: the committed manifests (the chart with its defaults) are
// accepted by a server-side dry run and then applied; each ServiceAccount can do exactly its job; and
// the real API and controller, started with the chart's environment and authenticated only by their own
// ServiceAccount tokens, serve a RAGFlow /run end to end, their sandbox Pod passing the namespace's
// restricted Pod Security level, LimitRange, ResourceQuota and RuntimeClass admission. The test plays the
// kubelet and the runner, as the other integration tests do. The embedded artifacts store's Service has no
// Pod behind it here, so the API and the controller use a real S3 server started by the harness instead,
// with the keys of the Secret the docs say to create.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CoordinationV1Api,
  KubeConfig,
  type V1Container,
  type V1Deployment,
  type V1EnvVar,
  type V1ResourceQuota,
} from '@kubernetes/client-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAllDocuments } from 'yaml';
import { startApi } from '../../src/api/start.ts';
import { CodeRunClient } from '../../src/coderun/client.ts';
import { loadApiConfig } from '../../src/config/api.ts';
import { loadControllerConfig } from '../../src/config/controller.ts';
import { type RunningController, startController } from '../../src/controller/leader.ts';
import { SELF_TEST_LABEL, SELF_TEST_LABEL_VALUE } from '../../src/controller/self-test.ts';
import { type KubeClients, makeClients } from '../../src/kube/client.ts';
import { createLogger } from '../../src/log.ts';
import { startPolicy } from '../../src/policy/index.ts';
import { report, ScriptedRunner, setContainerState, waitFor } from '../harness/cluster-actors.ts';
import { type ControlPlane, startControlPlane } from '../harness/control-plane.ts';
import { type S3Server, startS3Server } from '../harness/s3-server.ts';

const REPO = join(import.meta.dirname, '..', '..');
const MANIFESTS = join(REPO, 'deploy', 'manifests', 'coderun.yaml');
const RELEASE_NS = 'coderun';
const SANDBOX_NS = 'coderun-sandbox';
const TOKEN = 'chart-integration-token';
const ARTIFACTS_SECRET = 'coderun-artifacts';
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'test');

type Manifest = { kind: string; metadata: { name: string; namespace?: string } } & Record<string, unknown>;

let plane: ControlPlane;
let s3: S3Server;
let admin: KubeClients;
let kubectlBin: string;
let helmBin: string;
let runner: ScriptedRunner;
let controller: RunningController | undefined;
let api: Awaited<ReturnType<typeof startApi>> | undefined;

function upstream(...args: string[]): string {
  const out = execFileSync(join(REPO, 'hack', 'build-upstream.sh'), args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').at(-1) as string;
}

function kubectl(args: string[], input?: string): { status: number | null; out: string } {
  const r = spawnSync(kubectlBin, args, {
    input,
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: plane.kubeconfigPath },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function mustKubectl(args: string[], input?: string): string {
  const r = kubectl(args, input);
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed:\n${r.out}`);
  return r.out;
}

function helmTemplate(set: string[]): string {
  return execFileSync(
    helmBin,
    [
      'template',
      'coderun',
      join(REPO, 'charts', 'coderun'),
      '--namespace',
      RELEASE_NS,
      ...set.flatMap((s) => ['--set', s]),
    ],
    { encoding: 'utf8' },
  );
}

const docsOf = (text: string): Manifest[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Manifest | null)
    .filter((d): d is Manifest => d !== null);

const manifests = () => docsOf(readFileSync(MANIFESTS, 'utf8'));

function containerOf(name: string): V1Container {
  const deployment = manifests().find(
    (d) => d.kind === 'Deployment' && d.metadata.name === name,
  ) as unknown as V1Deployment | undefined;
  const c = deployment?.spec?.template.spec?.containers[0];
  if (!c) throw new Error(`no Deployment ${name} in ${MANIFESTS}`);
  return c;
}

/** The environment the chart gives a container, with the downward API and the Secrets resolved. */
function chartEnv(c: V1Container, podName: string): Record<string, string> {
  const env: Record<string, string> = { HOSTNAME: podName };
  const artifactKeys: Record<string, string> = {
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
  };
  for (const e of c.env ?? ([] as V1EnvVar[])) {
    const ref = e.valueFrom?.secretKeyRef;
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[e.name] = podName;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = RELEASE_NS;
    else if (ref?.name === 'coderun-api-token') env[e.name] = TOKEN;
    else if (ref?.name === ARTIFACTS_SECRET && ref.key in artifactKeys)
      env[e.name] = artifactKeys[ref.key] as string;
    else throw new Error(`unexpected env source for ${e.name}`);
  }
  return env;
}

/**
 * The chart's artifacts settings, pointed at the harness's S3 server instead of the store's Service; the
 * AWS SDK reads its keys from process.env, as in the Pod.
 */
function useTestStore(env: Record<string, string>): Record<string, string> {
  assert.is(env.CODERUN_ARTIFACTS_S3_ENDPOINT, `http://coderun-artifacts.${RELEASE_NS}.svc:7070`);
  process.env.AWS_ACCESS_KEY_ID = env.AWS_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = env.AWS_SECRET_ACCESS_KEY;
  return { ...env, CODERUN_ARTIFACTS_S3_ENDPOINT: s3.endpoint };
}

/** Clients that authenticate as the ServiceAccount alone, with a token from the TokenRequest API. */
async function serviceAccountClients(name: string): Promise<KubeClients> {
  const request = await admin.core.createNamespacedServiceAccountToken({
    name,
    namespace: RELEASE_NS,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const cluster = plane.kubeConfig.getCurrentCluster();
  if (!cluster || !request.status?.token) throw new Error(`no token for ${name}`);
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: cluster.server, caData: cluster.caData, skipTLSVerify: false }],
    users: [{ name, token: request.status.token }],
    contexts: [{ name, cluster: 'test', user: name }],
    currentContext: name,
  });
  return makeClients(kc);
}

test.before(async () => {
  helmBin = join(upstream('helm'), 'helm');
  kubectlBin = join(upstream('k8s', 'kubectl'), 'kubectl');
  [plane, s3] = await Promise.all([
    startControlPlane({ crdDir: join(REPO, 'charts', 'coderun', 'crds') }),
    startS3Server(),
  ]);
  admin = makeClients(plane.kubeConfig);
  runner = new ScriptedRunner();
});

test.after(async () => {
  await api?.stop();
  await controller?.stop();
  await plane?.stop();
  await s3?.stop();
});

test('the committed manifests pass a server-side dry run, then apply; other settings dry-run too', () => {
  // Namespaced objects can only be dry-run into namespaces that exist, so these two come first (the
  // manifests re-apply them with their labels); the token Secret is the one the docs say to create.
  mustKubectl(['create', 'namespace', RELEASE_NS]);
  mustKubectl(['create', 'namespace', SANDBOX_NS]);
  mustKubectl([
    '-n',
    RELEASE_NS,
    'create',
    'secret',
    'generic',
    'coderun-api-token',
    `--from-literal=token=${TOKEN}`,
  ]);
  mustKubectl([
    '-n',
    RELEASE_NS,
    'create',
    'secret',
    'generic',
    ARTIFACTS_SECRET,
    `--from-literal=accessKeyId=${s3.accessKeyId}`,
    `--from-literal=secretAccessKey=${s3.secretAccessKey}`,
  ]);

  const dryRun = mustKubectl(['apply', '--server-side', '--dry-run=server', '-f', MANIFESTS]);
  assert.match(dryRun, 'deployment.apps/coderun-api serverside-applied (server dry run)');
  mustKubectl(['apply', '--server-side', '-f', MANIFESTS]);
  const kinds = mustKubectl([
    'get',
    'deployments,daemonsets,roles,rolebindings,services,pdb,networkpolicies',
    '-A',
    '-o',
    'name',
  ]);
  for (const name of [
    'deployment.apps/coderun-api',
    'deployment.apps/coderun-controller',
    'daemonset.apps/coderun-seccomp-installer',
    'role.rbac.authorization.k8s.io/coderun-controller-leader-election',
    'service/coderun-api',
    'deployment.apps/coderun-artifacts',
    'service/coderun-artifacts',
    'networkpolicy.networking.k8s.io/coderun-artifacts',
  ]) {
    assert.match(kinds, name);
  }

  // The parts the defaults leave off, and RAGFlow's Service name.
  const optional = helmTemplate([
    'runtimeClass.create=true',
    'api.service.name=sandbox-executor-manager',
    'api.service.type=NodePort',
    'api.service.nodePort=30385',
    'api.auth.existingSecret=coderun-api-token',
    'controller.leaderElection.leaseName=coderun-lease',
    'artifacts.embedded.persistence.enabled=true',
    `artifacts.embedded.existingSecret=${ARTIFACTS_SECRET}`,
  ]);
  mustKubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], optional);
  // The sandbox Pods need the RuntimeClass to exist (its admission refuses unknown ones).
  const runtimeClass = docsOf(optional).find((d) => d.kind === 'RuntimeClass');
  mustKubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(runtimeClass));
});

test('a Pod that does not meet the restricted level is refused in the sandbox namespace', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'not-hardened', namespace: SANDBOX_NS },
    spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] },
  };
  const r = kubectl(['create', '--dry-run=server', '-f', '-'], JSON.stringify(pod));
  assert.is.not(r.status, 0);
  assert.match(r.out, /violates PodSecurity "restricted/);
});

test('each ServiceAccount may do its job and nothing more', () => {
  const can = (sa: string, ...args: string[]) =>
    kubectl(['auth', 'can-i', `--as=system:serviceaccount:${RELEASE_NS}:${sa}`, ...args]).status === 0;
  const expect: [string, string[], boolean][] = [
    ['coderun-api', ['create', 'coderuns.coderun.dev', '-n', SANDBOX_NS], true],
    ['coderun-api', ['watch', 'coderuns.coderun.dev', '-n', SANDBOX_NS], true],
    ['coderun-api', ['delete', 'coderuns.coderun.dev', '-n', SANDBOX_NS], true],
    ['coderun-api', ['update', 'coderuns.coderun.dev', '-n', SANDBOX_NS], false],
    ['coderun-api', ['create', 'coderuns.coderun.dev', '-n', 'default'], false],
    ['coderun-api', ['list', 'coderuns.coderun.dev', '--all-namespaces'], false],
    ['coderun-api', ['create', 'pods', '-n', SANDBOX_NS], false],
    ['coderun-api', ['get', 'secrets', '-n', RELEASE_NS], false],
    ['coderun-controller', ['create', 'pods', '-n', SANDBOX_NS], true],
    ['coderun-controller', ['create', 'pods', '--subresource=attach', '-n', SANDBOX_NS], true],
    ['coderun-controller', ['get', 'pods', '--subresource=log', '-n', SANDBOX_NS], true],
    [
      'coderun-controller',
      ['update', 'coderuns.coderun.dev', '--subresource=status', '-n', SANDBOX_NS],
      true,
    ],
    ['coderun-controller', ['create', 'events', '-n', SANDBOX_NS], true],
    // The isolation self-test's probe run, and the ConfigMap it is published in (that one only).
    ['coderun-controller', ['create', 'coderuns.coderun.dev', '-n', SANDBOX_NS], true],
    ['coderun-controller', ['create', 'configmaps', '-n', RELEASE_NS], true],
    ['coderun-controller', ['update', 'configmaps/coderun-self-test', '-n', RELEASE_NS], true],
    ['coderun-controller', ['update', 'configmaps/someone-else', '-n', RELEASE_NS], false],
    ['coderun-controller', ['list', 'configmaps', '-n', RELEASE_NS], false],
    ['coderun-controller', ['create', 'configmaps', '-n', SANDBOX_NS], false],
    ['coderun-api', ['get', 'configmaps/coderun-self-test', '-n', RELEASE_NS], false],
    ['coderun-controller', ['create', 'pods', '-n', RELEASE_NS], false],
    ['coderun-controller', ['create', 'pods', '--subresource=exec', '-n', SANDBOX_NS], true],
    ['coderun-controller', ['create', 'pods', '--subresource=exec', '-n', RELEASE_NS], false],
    ['coderun-controller', ['get', 'secrets', '-n', SANDBOX_NS], false],
    ['coderun-controller', ['create', 'leases.coordination.k8s.io', '-n', RELEASE_NS], true],
    [
      'coderun-controller',
      ['update', 'leases.coordination.k8s.io/coderun-controller', '-n', RELEASE_NS],
      true,
    ],
    ['coderun-controller', ['update', 'leases.coordination.k8s.io/someone-else', '-n', RELEASE_NS], false],
    ['coderun-controller', ['create', 'leases.coordination.k8s.io', '-n', SANDBOX_NS], false],
    ['coderun-controller', ['list', 'nodes'], false],
    ['coderun-seccomp', ['get', 'configmaps', '-n', RELEASE_NS], false],
    // SandboxRuntimes are cluster-scoped: both read them, neither writes them.
    ['coderun-api', ['watch', 'sandboxruntimes.coderun.dev'], true],
    ['coderun-api', ['create', 'sandboxruntimes.coderun.dev'], false],
    ['coderun-controller', ['list', 'sandboxruntimes.coderun.dev'], true],
    ['coderun-controller', ['update', 'sandboxruntimes.coderun.dev/python'], false],
    ['coderun-seccomp', ['list', 'sandboxruntimes.coderun.dev'], false],
  ];
  const wrong = expect
    .filter(([sa, args, allowed]) => can(sa, ...args) !== allowed)
    .map(([sa, args, allowed]) => `${sa} ${allowed ? 'cannot' : 'can'} ${args.join(' ')}`);
  assert.equal(wrong, []);
});

test('the API and the controller, as their ServiceAccounts with the chart environment, serve a /run', async () => {
  // Quota admission refuses what a ResourceQuota limits until the quota controller has counted it (the CodeRun
  // count too: until then the API waits, and past the run's budget answers 429 without a CodeRun).
  await waitFor(
    'the ResourceQuota to count everything it limits',
    async () => {
      const quotas = await admin.core.listNamespacedResourceQuota({ namespace: SANDBOX_NS });
      const counted = (q: V1ResourceQuota) =>
        Object.keys(q.spec?.hard ?? {}).every((key) => q.status?.used?.[key] !== undefined);
      return quotas.items.length > 0 && quotas.items.every(counted);
    },
    90_000,
  );
  const quiet = { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' };

  const controllerEnv = {
    ...useTestStore(chartEnv(containerOf('coderun-controller'), 'coderun-controller-0')),
    ...quiet,
  };
  const controllerConfig = loadControllerConfig(controllerEnv);
  controller = startController({
    kube: await serviceAccountClients('coderun-controller'),
    config: controllerConfig,
    policy: startPolicy(controllerConfig.policy, log).check,
    channel: runner,
    log,
    onLostLeadership: () => undefined,
  });
  await waitFor('the controller to take the Lease', async () => controller?.isLeader);

  const apiEnv = {
    ...useTestStore(chartEnv(containerOf('coderun-api'), 'coderun-api-0')),
    ...quiet,
    CODERUN_API_HOST: '127.0.0.1',
    CODERUN_API_PORT: '0',
  };
  const apiConfig = loadApiConfig(apiEnv);
  assert.is(apiConfig.namespace, SANDBOX_NS);
  api = await startApi({
    config: apiConfig,
    kube: await serviceAccountClients('coderun-api'),
    policy: startPolicy(apiConfig.policy, log).check,
    log,
  });
  const address = api.app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  await waitFor('the API to be ready (it lists CodeRuns with its own token)', async () => {
    return (await fetch(`${base}/readyz`)).status === 200;
  });

  const response = fetch(`${base}/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({
      code_b64: Buffer.from('def main(a):\n    return {"sum": a + 2}\n').toString('base64'),
      language: 'python',
      arguments: { a: 1 },
    }),
  });
  // An answer before the run has a Pod means the API refused it or failed: the timeout below says which.
  let answered: string | undefined;
  response.then(
    async (r) => {
      answered = `${r.status} ${await r.clone().text()}`;
    },
    (err) => {
      answered = String(err);
    },
  );
  const runs = new CodeRunClient(admin);
  const run = await waitFor('a CodeRun with its sandbox Pod', async () => {
    // The controller's own isolation probe runs beside it (the next test answers it).
    const all = (await runs.list(SANDBOX_NS)).items;
    const found = all.find(
      (r) => r.status?.podName && r.metadata.labels?.[SELF_TEST_LABEL] !== SELF_TEST_LABEL_VALUE,
    );
    if (found) return found;
    const failed = all.find((r) => r.status?.phase === 'Failed');
    if (failed) throw new Error(`the run failed: ${failed.status?.reason}: ${failed.status?.message}`);
    const seen = all.map(
      (r) => `${r.metadata.name} ${r.status?.phase ?? 'no status'} ${r.status?.reason ?? ''}`,
    );
    throw new Error(
      `CodeRuns: [${seen.join('; ')}]; /run ${answered ? `answered ${answered}` : 'has not answered'}`,
    );
  });
  const podName = run.status?.podName as string;
  const pod = await admin.core.readNamespacedPod({ namespace: SANDBOX_NS, name: podName });
  assert.is(pod.spec?.runtimeClassName, 'gvisor');
  const seccomp = pod.spec?.securityContext?.seccompProfile;
  assert.equal([seccomp?.type, seccomp?.localhostProfile], ['Localhost', 'coderun/sandbox.json']);

  await setContainerState(admin, SANDBOX_NS, podName, { running: { startedAt: new Date() } });
  await runner.jobFor(SANDBOX_NS, podName);
  runner.answer(SANDBOX_NS, podName, report({ result: { present: true, value: { sum: 3 } } }));
  const res = await response;
  assert.is(res.status, 200);
  const body = await res.json();
  assert.equal(
    [body.status, body.exit_code, body.result],
    ['success', 0, { present: true, value: { sum: 3 }, type: 'json' }],
  );

  // The Lease in the release namespace names this controller; Events were written on the run; the
  // finished run's Pod is deleted.
  const lease = await plane.kubeConfig
    .makeApiClient(CoordinationV1Api)
    .readNamespacedLease({ name: 'coderun-controller', namespace: RELEASE_NS });
  assert.is(lease.spec?.holderIdentity, 'coderun-controller-0');
  const events = await admin.core.listNamespacedEvent({
    namespace: SANDBOX_NS,
    fieldSelector: `involvedObject.name=${run.metadata.name}`,
  });
  assert.ok(events.items.length > 0, 'no Events on the run');
  await waitFor('the sandbox Pod to be deleted', async () => {
    const pods = await admin.core.listNamespacedPod({ namespace: SANDBOX_NS });
    return !pods.items.some((p) => p.metadata?.name === podName);
  });
});

test('the controller, as its ServiceAccount, runs the isolation self-test and publishes it in the release namespace', async () => {
  const runs = new CodeRunClient(admin);
  const probe = await waitFor('the probe run with its sandbox Pod', async () =>
    (await runs.list(SANDBOX_NS, `${SELF_TEST_LABEL}=${SELF_TEST_LABEL_VALUE}`)).items.find(
      (r) => r.status?.podName,
    ),
  );
  const podName = probe.status?.podName as string;
  await setContainerState(admin, SANDBOX_NS, podName, { running: { startedAt: new Date() } });
  await runner.jobFor(SANDBOX_NS, podName);
  const seen = {
    kernel: { release: '4.19.0-gvisor', version: 'Linux version 4.19.0-gvisor #1 SMP' },
    seccomp: { call: 'socket(AF_VSOCK)', errno: 'EPERM' },
    network: [{ target: '10.96.0.1:443', outcome: 'ENETUNREACH', ms: 0 }],
    serviceAccount: { mounted: false, token: false },
    identity: { uid: 65534, euid: 65534, gid: 65534, capEff: '0000000000000000', capBnd: '0000000000000000' },
  };
  runner.answer(SANDBOX_NS, podName, report({ stdout: '', result: { present: true, value: seen } }));
  const data = await waitFor('the self-test ConfigMap', async () => {
    const cm = await admin.core
      .readNamespacedConfigMap({ namespace: RELEASE_NS, name: 'coderun-self-test' })
      .catch(() => null);
    return cm?.data?.status ? cm.data : null;
  });
  assert.equal(
    [data.status, data.reason, data.probeRun],
    ['True', 'Passed', `${SANDBOX_NS}/${probe.metadata.name}`],
  );
});

test.run();
