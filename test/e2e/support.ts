// Shared by the end-to-end tests: the local cluster (hack/cluster), the images imported into it, the
// upstream command-line tools, and waiting on CodeRuns.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { LOCAL_CLUSTER } from '../../hack/local-cluster.ts';
import type { RagflowResult } from '../../src/api/ragflow/response.ts';
import type { CodeRunClient } from '../../src/coderun/client.ts';
import { type CodeRun, isTerminal } from '../../src/coderun/schema.ts';
import { type RunningController, startController } from '../../src/controller/leader.ts';
import { KubeSandboxChannel } from '../../src/controller/sandbox-channel.ts';
import { type KubeClients, makeClients } from '../../src/kube/client.ts';
import { allowEverything } from '../../src/policy/types.ts';
import { testConfig } from '../fixtures.ts';
import { waitFor } from '../harness/cluster-actors.ts';

export const REPO = join(import.meta.dirname, '..', '..');
export const KUBECONFIG = process.env.CODERUN_E2E_KUBECONFIG ?? LOCAL_CLUSTER.kubeconfig;
export const NODE_IP = process.env.CODERUN_E2E_NODE_IP ?? LOCAL_CLUSTER.nodeIp;
/** Where `make images`, `make operator-image` and `make artifacts-image` put the image tarballs that hack/cluster/up.sh imports. */
export const IMAGE_DIR = join(process.env.CODERUN_CACHE ?? join(homedir(), '.cache', 'coderun'), 'images');
const MAKE_IMAGES = 'make images operator-image artifacts-image cluster-up';
/** The kernel release gVisor reports: a fixed synthetic one (4.4.0 in older releases, 4.19.0-gvisor now). */
export const GVISOR_KERNEL = /^4\.(4\.0|19\.0-gvisor)$/;

const exec = promisify(execFile);

/** Runs a program to its end; rejects with its stderr (not just "Command failed") when it fails. */
export async function command(file: string, args: readonly string[], timeoutMs = 300_000): Promise<string> {
  try {
    const { stdout } = await exec(file, args, { cwd: REPO, timeout: timeoutMs, maxBuffer: 64 * 2 ** 20 });
    return stdout;
  } catch (err) {
    const { stderr, stdout } = err as { stderr?: string; stdout?: string };
    const output = `${stderr ?? ''}${stdout ?? ''}`.trim();
    throw new Error(`${file} ${args.join(' ')} failed: ${output || String(err)}`);
  }
}

/** Clients for the local cluster; fails with what to run when there is none. */
export function connectCluster(): { kc: KubeConfig; kube: KubeClients } {
  if (!existsSync(KUBECONFIG))
    throw new Error(`no cluster kubeconfig at ${KUBECONFIG}: run \`make cluster-up\` first`);
  const kc = new KubeConfig();
  kc.loadFromFile(KUBECONFIG);
  return { kc, kube: makeClients(kc) };
}

const toolDirs = new Map<string, Promise<string>>();

/** The directory of a tool built by hack/build-upstream.sh (cached there by version; built on first use). */
function upstreamDir(...what: string[]): Promise<string> {
  const key = what.join(' ');
  let dir = toolDirs.get(key);
  if (!dir) {
    dir = command(join(REPO, 'hack', 'build-upstream.sh'), what, 1_800_000).then((out) => out.trim());
    toolDirs.set(key, dir);
  }
  return dir;
}

/** kubectl against the local cluster. */
export async function kubectl(...args: string[]): Promise<string> {
  const dir = await upstreamDir('k8s', 'kubectl');
  return command(join(dir, 'kubectl'), ['--kubeconfig', KUBECONFIG, ...args]);
}

/** helm against the local cluster. */
export async function helm(...args: string[]): Promise<string> {
  const dir = await upstreamDir('helm');
  return command(join(dir, 'helm'), ['--kubeconfig', KUBECONFIG, ...args]);
}

interface ImageRef {
  name: string;
  digest: string;
}

/** The image an OCI layout tarball holds, from its index.json (the name is what `ctr import` stores). */
async function tarballImage(path: string): Promise<ImageRef> {
  const index = JSON.parse(await command('tar', ['-xOf', path, 'index.json'])) as {
    manifests?: { digest: string; annotations?: Record<string, string> }[];
  };
  const manifest = index.manifests?.[0];
  const name = manifest?.annotations?.['io.containerd.image.name'];
  if (!manifest || !name) throw new Error(`${path} names no image in its index.json: run \`${MAKE_IMAGES}\``);
  return { name, digest: manifest.digest };
}

/** Image name -> digest, as the cluster's containerd (the kubelet's k8s.io namespace) has them. */
async function clusterImages(): Promise<Map<string, string>> {
  // lib.sh knows where the cluster's ctr and containerd socket are.
  const lib = join(REPO, 'hack', 'cluster', 'lib.sh');
  const out = await command('bash', ['-c', `. '${lib}' && ctr_ -n k8s.io images ls`]);
  const rows = out.split('\n').slice(1); // REF TYPE DIGEST SIZE PLATFORMS LABELS
  return new Map(
    rows.map((row) => row.split(/\s+/)).flatMap(([ref, , digest]) => (ref && digest ? [[ref, digest]] : [])),
  );
}

/**
 * Makes sure the cluster runs the images built last: a tarball whose image is missing from the cluster's
 * containerd, or is there with another digest (rebuilt since the cluster started), is imported with
 * hack/cluster/up.sh, which reuses the running cluster. Fails, naming the make targets, when that is not enough.
 */
export async function ensureImagesImported(tarballs: readonly string[]): Promise<void> {
  const wanted: ImageRef[] = [];
  for (const tarball of tarballs) {
    const path = join(IMAGE_DIR, tarball);
    if (!existsSync(path)) throw new Error(`${path} does not exist: run \`${MAKE_IMAGES}\``);
    wanted.push(await tarballImage(path));
  }
  const stale = async () => {
    const present = await clusterImages();
    return wanted.filter((image) => present.get(image.name) !== image.digest);
  };
  if ((await stale()).length === 0) return;
  await command(join(REPO, 'hack', 'cluster', 'up.sh'), [], 600_000);
  const missing = await stale();
  if (missing.length) {
    const names = missing.map((i) => `${i.name} (${i.digest})`).join(', ');
    throw new Error(`the cluster's containerd lacks ${names}: run \`${MAKE_IMAGES}\``);
  }
}

/** `make up`'s endpoint: the API Service's NodePort on 127.0.0.1:9385 of this machine (hack/up.sh). */
export const LOCAL_API = { host: '127.0.0.1', port: 9385 };
/** The namespace of the CodeRuns that `make up`'s release runs (the chart's default sandbox.namespace). */
export const LOCAL_SANDBOX_NAMESPACE = 'coderun-sandbox';

/**
 * Runs `make up` (hack/up.sh; a few seconds when everything is up already, else it builds, starts and
 * installs what is missing) and returns the API token of its release.
 */
export async function makeUp(): Promise<string> {
  await command(join(REPO, 'hack', 'up.sh'), [], 3_600_000);
  return (await command(join(REPO, 'hack', 'deploy.sh'), ['token'])).trim();
}

/** A suite's set-up against `make up`'s release: its API token and clients for its cluster. */
export async function localRelease(): Promise<{ token: string; kube: KubeClients }> {
  const token = await makeUp();
  return { token, kube: connectCluster().kube };
}

export interface RagflowReply {
  status: number;
  body: RagflowResult;
  /** From sending the request to the end of the answer. */
  ms: number;
}

/**
 * POST /run as RAGFlow sends it (the program base64-encoded in code_b64) to `make up`'s endpoint. The
 * endpoint is shared with whatever else runs on this machine, so a 429 (the replica's in-flight bound, a
 * rate limit) is waited out as its Retry-After says; the time spent waiting is not counted in `ms`.
 */
export async function postLocalRun(
  token: string,
  program: { code: string; language?: string; arguments?: Record<string, unknown> },
): Promise<RagflowReply> {
  const body = JSON.stringify({
    code_b64: Buffer.from(program.code, 'utf8').toString('base64'),
    language: program.language ?? 'python',
    arguments: program.arguments ?? {},
  });
  for (let attempt = 0; ; attempt++) {
    const started = Date.now();
    const res = await fetch(`http://${LOCAL_API.host}:${LOCAL_API.port}/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
      signal: AbortSignal.timeout(300_000),
    });
    const text = await res.text();
    if (res.status === 429 && attempt < 5) {
      await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
      continue;
    }
    try {
      return { status: res.status, body: JSON.parse(text) as RagflowResult, ms: Date.now() - started };
    } catch {
      throw new Error(`POST /run answered ${res.status} with a body that is not JSON: ${text.slice(0, 500)}`);
    }
  }
}

/** Returns the promise, marked as handled so it may reject before the test awaits it. */
export function background<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** Phase, reason, message and the start of both streams of a run, for assertion messages. */
export function describeRun(run: CodeRun): string {
  const s = run.status ?? {};
  return `${s.phase}/${s.reason}: ${s.message}\nstdout: ${s.stdout?.slice(0, 2000)}\nstderr: ${s.stderr?.slice(0, 2000)}`;
}

/** Resolves with the run once it is Succeeded or Failed. */
export function waitForRunEnd(
  runs: CodeRunClient,
  namespace: string,
  name: string,
  timeoutMs = 180_000,
): Promise<CodeRun> {
  return waitFor(
    `CodeRun ${namespace}/${name} to finish`,
    async () => {
      const run = await runs.get(namespace, name);
      return isTerminal(run.status) ? run : null;
    },
    timeoutMs,
  );
}

/**
 * The controller in this process, as the e2e suites run it: one namespace, no leader election, no policy
 * (the suites test the sandbox, not the check), 180 s for a Pod to start on this loaded node; `env` adds
 * or overrides settings.
 */
export function startE2eController(
  kube: KubeClients,
  namespace: string,
  log: Logger,
  env: Record<string, string> = {},
): RunningController {
  return startController({
    kube,
    config: testConfig({
      CODERUN_NAMESPACES: namespace,
      CODERUN_LEADER_ELECTION: 'false',
      CODERUN_POLICY: 'off',
      CODERUN_START_TIMEOUT: '180',
      ...env,
    }),
    policy: async (language, source) => allowEverything(language, source),
    channel: new KubeSandboxChannel(kube),
    log,
    onLostLeadership: () => undefined,
  });
}
