// Envtest-style harness: a real etcd + kube-apiserver + kube-controller-manager on loopback for integration tests.
// CLI: `node test/harness/control-plane.ts up <stateDir> [crdDir]` runs one in the foreground until SIGTERM/SIGINT.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  loadYaml,
  NodeV1Api,
} from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';

export type Component = 'etcd' | 'kube-apiserver';

export interface ControlPlane {
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  server: string;
  dir: string;
  /** Stops one component (SIGTERM), as a crash or an upgrade would; `startComponent` brings it back. */
  stopComponent(name: Component): Promise<void>;
  /** Starts a stopped component with its original flags and data, and waits until it is healthy. */
  startComponent(name: Component): Promise<void>;
  /** Compacts etcd up to its current revision (what the API server does every 5 minutes); returns it. */
  compactEtcd(): Promise<number>;
  stop(): Promise<void>;
}

interface StartOptions {
  crdDir?: string;
  log?: (msg: string) => void;
  /** Extra kube-apiserver flags, e.g. a short --min-request-timeout so watches end quickly. */
  apiserverFlags?: string[];
}

interface Proc {
  name: string;
  child: ChildProcess;
  log: string;
  exit?: string; // set once the process has exited (and been reaped), so it is never signalled afterwards
}

const repoRoot = join(import.meta.dirname, '..', '..');
const serviceCidr = '10.0.0.0/24';

// Children still running; a crashed test run must not leave them behind.
const live = new Set<Proc>();
process.on('exit', () => {
  for (const proc of live) proc.child.kill('SIGKILL');
});

export async function startControlPlane(opts: StartOptions = {}): Promise<ControlPlane> {
  return (await start(opts)).plane;
}

async function start(opts: StartOptions): Promise<{ plane: ControlPlane; pids: number[] }> {
  const log = opts.log ?? (() => {});
  const t0 = Date.now();
  const since = () => `${Date.now() - t0} ms`;
  const bins = {
    etcd: buildUpstream('etcd'),
    k8s: buildUpstream('k8s', 'kube-apiserver', 'kube-controller-manager'),
  };
  log(`control plane: binaries ready (${since()})`);

  const dir = mkdtempSync(join(tmpdir(), 'coderun-cp-'));
  const pki = generatePki(dir);
  log(`control plane: certificates in ${dir} (${since()})`);

  const [etcdPort, peerPort, apiPort, kcmPort] = (await freePorts(4)) as [number, number, number, number];
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfigPath = join(dir, 'admin.kubeconfig');
  writeKubeconfig(kubeconfigPath, server, pki.ca, pki.admin);
  const kcmKubeconfig = join(dir, 'kcm.kubeconfig');
  writeKubeconfig(kcmKubeconfig, server, pki.ca, pki.kcm);

  const procs: Proc[] = [];
  const stop = once(async () => {
    for (const proc of [...procs].reverse()) await terminate(proc);
    rmSync(dir, { recursive: true, force: true });
  });
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const adminTls = {
    ca: readFileSync(pki.ca),
    cert: readFileSync(pki.admin.cert),
    key: readFileSync(pki.admin.key),
  };
  const components: Record<Component, { bin: string; args: string[]; healthy: () => Promise<boolean> }> = {
    etcd: {
      bin: bins.etcd,
      args: etcdArgs(dir, etcdPort, peerPort),
      healthy: () => isOk(`${etcdUrl}/health`),
    },
    'kube-apiserver': {
      bin: bins.k8s,
      args: [...apiserverArgs(dir, pki, apiPort, etcdPort), ...(opts.apiserverFlags ?? [])],
      healthy: () => isOk(`${server}/readyz`, adminTls),
    },
  };
  const startComponent = async (name: Component) => {
    const c = components[name];
    const index = procs.findIndex((p) => p.name === name);
    const proc = launch(procs, dir, c.bin, name, c.args);
    // A restart keeps the component's place in the stop order.
    if (index >= 0) procs.splice(index, 1, procs.pop() as Proc);
    await waitUntil(proc, name === 'etcd' ? 'healthy' : 'ready', 60_000, c.healthy);
  };
  const stopComponent = async (name: Component) => {
    const proc = procs.find((p) => p.name === name);
    if (proc) await terminate(proc);
  };
  const compactEtcd = async () => {
    const post = async (path: string, body: object) => {
      const res = await fetch(`${etcdUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`etcd ${path}: ${res.status} ${await res.text()}`);
      return res.json() as Promise<{ header?: { revision?: string } }>;
    };
    const revision = Number((await post('/v3/kv/range', { key: 'AA==' })).header?.revision);
    await post('/v3/kv/compaction', { revision: String(revision), physical: true });
    return revision;
  };
  try {
    await startComponent('etcd');
    log(`control plane: etcd ready (${since()})`);

    await startComponent('kube-apiserver');
    log(`control plane: kube-apiserver ready at ${server} (${since()})`);

    const kcmArgs = controllerManagerArgs(dir, pki, kcmKubeconfig, kcmPort);
    const kcm = launch(procs, dir, bins.k8s, 'kube-controller-manager', kcmArgs);
    // kcm serves a self-signed cert of its own, so this checks liveness, not identity.
    const healthz = `https://127.0.0.1:${kcmPort}/healthz`;
    await waitUntil(kcm, 'healthy', 60_000, () => isOk(healthz, { rejectUnauthorized: false }));
    log(`control plane: kube-controller-manager healthy (${since()})`);

    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);
    if (opts.crdDir) {
      await installCrds(kubeConfig, opts.crdDir);
      log(`control plane: CRDs from ${opts.crdDir} established (${since()})`);
    }
    const plane = {
      kubeconfigPath,
      kubeConfig,
      server,
      dir,
      stopComponent,
      startComponent,
      compactEtcd,
      stop,
    };
    return { plane, pids: procs.map((p) => p.child.pid as number) };
  } catch (err) {
    for (const proc of [...procs].reverse()) await terminate(proc);
    // A process failure names its log in the directory, so that is kept; otherwise it is just 60 MB of etcd.
    if (!(err instanceof ProcessError)) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

export function buildUpstream(...args: string[]): string {
  const script = join(repoRoot, 'hack', 'build-upstream.sh');
  // stderr is inherited so a cold build shows its progress instead of looking hung.
  const out = execFileSync(script, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').at(-1) as string;
}

interface KeyPair {
  cert: string;
  key: string;
}

interface Pki {
  ca: string;
  apiserver: KeyPair;
  admin: KeyPair;
  kcm: KeyPair;
  saKey: string;
  saPub: string;
}

function generatePki(dir: string): Pki {
  const pkiDir = join(dir, 'pki');
  mkdirSync(pkiDir);
  const leaf = ['basicConstraints = critical,CA:FALSE', 'keyUsage = critical,digitalSignature'];
  const client = [...leaf, 'extendedKeyUsage = clientAuth'];
  const ca = issue(pkiDir, 'ca', '/CN=coderun-test-ca', [
    'basicConstraints = critical,CA:TRUE',
    'keyUsage = critical,keyCertSign,cRLSign,digitalSignature',
  ]);
  const sans = [
    'IP:127.0.0.1',
    'IP:10.0.0.1', // first address of serviceCidr: the in-cluster "kubernetes" Service
    'DNS:localhost',
    'DNS:kubernetes',
    'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc',
    'DNS:kubernetes.default.svc.cluster.local',
  ];
  const apiserver = issue(
    pkiDir,
    'apiserver',
    '/CN=kube-apiserver',
    [...leaf, 'extendedKeyUsage = serverAuth', `subjectAltName = ${sans.join(',')}`],
    ca,
  );
  const admin = issue(pkiDir, 'admin', '/O=system:masters/CN=coderun-test-admin', client, ca);
  const kcm = issue(pkiDir, 'kcm', '/CN=system:kube-controller-manager', client, ca);

  // Service-account tokens are signed with RSA, the one key type every consumer accepts.
  const saKey = join(pkiDir, 'sa.key');
  const saPub = join(pkiDir, 'sa.pub');
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', saKey]);
  openssl(['pkey', '-in', saKey, '-pubout', '-out', saPub]);
  return { ca: ca.cert, apiserver, admin, kcm, saKey, saPub };
}

// Issues an EC P-256 certificate (fast to generate), self-signed when no signer is given.
function issue(dir: string, name: string, subject: string, extensions: string[], signer?: KeyPair): KeyPair {
  const pair = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  // A config of our own keeps openssl.cnf defaults (e.g. CA:TRUE on every req -x509) out of the leaves.
  const config = join(dir, `${name}.cnf`);
  writeFileSync(config, ['[req]', 'distinguished_name = dn', '[dn]', '[ext]', ...extensions, ''].join('\n'));
  const signArgs = signer ? ['-CA', signer.cert, '-CAkey', signer.key] : [];
  openssl([
    'req',
    '-x509',
    '-config',
    config,
    '-extensions',
    'ext',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '7',
    '-subj',
    subject,
    '-keyout',
    pair.key,
    '-out',
    pair.cert,
    ...signArgs,
  ]);
  return pair;
}

function openssl(args: string[]): void {
  // Piped stdio puts openssl's stderr into the thrown error's message.
  execFileSync('openssl', args, { stdio: 'pipe' });
}

function writeKubeconfig(path: string, server: string, ca: string, user: KeyPair): void {
  const b64 = (file: string) => readFileSync(file).toString('base64');
  // Inline data keeps the file usable after being copied elsewhere (CLI mode).
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'coderun-test', cluster: { server, 'certificate-authority-data': b64(ca) } }],
    users: [
      { name: 'user', user: { 'client-certificate-data': b64(user.cert), 'client-key-data': b64(user.key) } },
    ],
    contexts: [{ name: 'coderun-test', context: { cluster: 'coderun-test', user: 'user' } }],
    'current-context': 'coderun-test',
  };
  writeFileSync(path, stringify(config), { mode: 0o600 });
}

// Holds all listeners open until every port is read, so the ports are distinct.
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

function etcdArgs(dir: string, clientPort: number, peerPort: number): string[] {
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  return [
    '--name=coderun',
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=coderun=${peerUrl}`,
    '--unsafe-no-fsync', // test data is disposable; fsync dominates write latency
    `--quota-backend-bytes=${8 * 1024 ** 3}`,
  ];
}

function apiserverArgs(dir: string, pki: Pki, port: number, etcdPort: number): string[] {
  return [
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    // The lease reconciler would publish 127.0.0.1 as the "kubernetes" Service endpoint, which validation
    // rejects (loopback) every 10 s; nothing in-cluster dials it here.
    '--endpoint-reconciler-type=none',
    `--secure-port=${port}`,
    `--cert-dir=${join(dir, 'apiserver')}`,
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    `--client-ca-file=${pki.ca}`,
    `--tls-cert-file=${pki.apiserver.cert}`,
    `--tls-private-key-file=${pki.apiserver.key}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki.saPub}`,
    `--service-account-signing-key-file=${pki.saKey}`,
    `--service-cluster-ip-range=${serviceCidr}`,
    '--authorization-mode=RBAC',
    '--allow-privileged=true',
    // It rejects pods until kcm has created the namespace's "default" SA, a race right after the namespace is
    // created; with no kubelet, nothing would mount the token anyway.
    '--disable-admission-plugins=ServiceAccount',
  ];
}

function controllerManagerArgs(dir: string, pki: Pki, kubeconfig: string, port: number): string[] {
  return [
    // No --authentication-kubeconfig: it makes kcm look up a front-proxy CA this apiserver does not have and
    // log errors; /healthz is served to anonymous callers either way.
    `--kubeconfig=${kubeconfig}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${join(dir, 'kcm')}`,
    `--service-account-private-key-file=${pki.saKey}`,
    `--root-ca-file=${pki.ca}`,
    // Each controller (garbage collector, namespace, ...) gets its own SA and bootstrap RBAC role, as in kubeadm;
    // the system:kube-controller-manager role alone may not delete other objects.
    '--use-service-account-credentials=true',
  ];
}

function launch(procs: Proc[], dir: string, binDir: string, name: string, args: string[]): Proc {
  const log = join(dir, `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(join(binDir, name), args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  // Unreferenced, so a test that never calls stop() still lets node exit (and the exit hook kill it).
  child.unref();
  const proc: Proc = { name, child, log };
  child.on('error', (err) => {
    proc.exit = err.message;
    live.delete(proc);
  });
  child.on('exit', (code, signal) => {
    proc.exit = signal ? `signal ${signal}` : `code ${code}`;
    live.delete(proc);
  });
  procs.push(proc);
  live.add(proc);
  return proc;
}

async function waitUntil(proc: Proc, what: string, timeoutMs: number, ready: () => Promise<boolean>) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exit !== undefined) throw procError(proc, `exited (${proc.exit}) before becoming ${what}`);
    if (await ready()) return;
    await sleep(100);
  }
  throw procError(proc, `not ${what} after ${timeoutMs / 1000} s`);
}

class ProcessError extends Error {}

function procError(proc: Proc, what: string): ProcessError {
  const lines = readFileSync(proc.log, 'utf8').trimEnd().split('\n').slice(-40).join('\n');
  return new ProcessError(`${proc.name} ${what}; log: ${proc.log}\n--- last lines ---\n${lines}`);
}

// Whether url answers 200; false while nothing listens yet.
function isOk(url: string, tls: https.RequestOptions = {}): Promise<boolean> {
  return new Promise((resolve) => {
    const onResponse = (res: http.IncomingMessage) => {
      res.resume();
      resolve(res.statusCode === 200);
    };
    const options = { agent: false, timeout: 2000 };
    const req = url.startsWith('https:')
      ? https.get(url, { ...tls, ...options }, onResponse)
      : http.get(url, options, onResponse);
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

async function terminate(proc: Proc): Promise<void> {
  if (proc.exit !== undefined) return;
  proc.child.kill('SIGTERM');
  if (await exitWithin(proc, 10_000)) return;
  proc.child.kill('SIGKILL');
  await exitWithin(proc, 10_000);
}

function exitWithin(proc: Proc, ms: number): Promise<boolean> {
  if (proc.exit !== undefined) return Promise.resolve(true);
  return new Promise((resolve) => {
    // A referenced timer: it keeps node alive while the (unreferenced) child shuts down.
    const timer = setTimeout(() => resolve(false), ms);
    proc.child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= fn();
    return running;
  };
}

/** Creates or updates every object in crdDir/*.yaml and waits until each CRD serves requests. */
export async function installCrds(kc: KubeConfig, crdDir: string): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  const crds: string[] = [];
  const files = readdirSync(crdDir).filter((f) => f.endsWith('.yaml'));
  for (const file of files.sort().map((f) => join(crdDir, f))) {
    // loadYaml turns each document into client-node's typed model: create() serializes through that model and
    // would silently drop keys it cannot map, such as x-kubernetes-preserve-unknown-fields in a plain object.
    // The documents are split here because loadAllYaml throws on an empty one (e.g. after a trailing '---').
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      if (doc.toJS() === null) continue;
      const obj = loadYaml<KubernetesObject>(doc.toString());
      await createOrReplace(client, obj).catch((err) => {
        throw new Error(`applying ${obj.kind} ${obj.metadata?.name} from ${file}: ${statusMessage(err)}`);
      });
      if (obj.kind === 'CustomResourceDefinition' && obj.metadata?.name) crds.push(obj.metadata.name);
    }
  }
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  for (const name of crds) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const crd = await api.readCustomResourceDefinition({ name });
      const established = crd.status?.conditions?.some(
        (c) => c.type === 'Established' && c.status === 'True',
      );
      // Established comes before the storage is ready ("storage is (re)initializing"); a list proves it serves.
      const { group, names, versions } = crd.spec;
      const serving =
        established &&
        (await custom
          .listClusterCustomObject({
            group,
            version: versions[0]?.name ?? '',
            plural: names.plural,
            limit: 1,
          })
          .then(() => true)
          .catch(() => false));
      if (serving) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} from ${crdDir} not serving after 30 s`);
      await sleep(100);
    }
  }
}

async function createOrReplace(client: KubernetesObjectApi, obj: KubernetesObject): Promise<void> {
  try {
    await client.create(obj);
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
    const current = await client.read({
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      metadata: { name: obj.metadata?.name ?? '', namespace: obj.metadata?.namespace },
    });
    await client.replace({
      ...obj,
      metadata: { ...obj.metadata, resourceVersion: current.metadata?.resourceVersion },
    });
  }
}

// The Status message says what the API rejected; the rest of an ApiException's message is response headers.
function statusMessage(err: unknown): string {
  try {
    return JSON.parse(String((err as { body?: unknown }).body)).message ?? String(err);
  } catch {
    return String(err);
  }
}

async function cli(stateDir: string, crdDir: string | undefined): Promise<void> {
  const { plane, pids } = await start({ log: (msg) => console.error(msg), ...(crdDir ? { crdDir } : {}) });
  mkdirSync(stateDir, { recursive: true });
  copyFileSync(plane.kubeconfigPath, join(stateDir, 'kubeconfig'));
  // First line is this process: SIGTERM it to stop the plane cleanly.
  writeFileSync(join(stateDir, 'pids'), `${[process.pid, ...pids].join('\n')}\n`);
  console.error(`control plane up: KUBECONFIG=${join(stateDir, 'kubeconfig')}`);
  // The children are unreferenced, so this timer is what keeps the foreground process alive.
  const keepAlive = setInterval(() => {}, 1 << 30);
  const shutdown = async () => {
    await plane.stop();
    clearInterval(keepAlive);
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

if (import.meta.main) {
  const [command, stateDir, crdDir] = process.argv.slice(2);
  if (command !== 'up' || !stateDir) {
    console.error('usage: node test/harness/control-plane.ts up <stateDir> [crdDir]');
    process.exit(2);
  }
  await cli(stateDir, crdDir);
}

/** Namespaces for runs, and gVisor's RuntimeClass, as a cluster with gVisor has them. */
export async function prepareSandboxCluster(kc: KubeConfig, ...namespaces: string[]): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  for (const name of namespaces) await core.createNamespace({ body: { metadata: { name } } });
  await kc
    .makeApiClient(NodeV1Api)
    .createRuntimeClass({ body: { metadata: { name: 'gvisor' }, handler: 'runsc' } });
}
