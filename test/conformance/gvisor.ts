// An image's entry point in a gVisor sandbox shaped like coderun's sandbox Pod (src/controller/sandbox-pod.ts):
// `runsc run` with an OCI bundle over the unpacked image, user 65534 without capabilities, no new
// privileges, a read-only root, the work dir bind-mounted from this machine at /work, a private /tmp, the
// Pod's environment, no network, and seccomp/sandbox.json enforced (--oci-seccomp, as the nodes' runsc.toml
// asks). What the kubelet adds around it (cgroup limits, the attach) is not part of the runner protocol.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SANDBOX_ENV, SANDBOX_UID, WORK_DIR } from '../../src/controller/sandbox-pod.ts';
import { type UnpackedImage, unpackImage } from './image.ts';
import {
  type Attempt,
  outputCollector,
  type Runtime,
  type Served,
  type Started,
  servedEnv,
} from './runtime.ts';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '../..');

/** A sandbox that is not done after this long is killed (the cases' own bounds are far lower). */
const KILL_AFTER_MS = 60_000;

export interface GvisorOptions extends Served {
  runsc: string;
  image: UnpackedImage;
  /** The seccomp profile (OCI's linux.seccomp form, as seccomp/sandbox.json is written). */
  seccomp: object;
  /** Where the bundles, work dirs and runsc's state go. */
  scratch: string;
}

/**
 * The runtime for an OCI image tarball: the image unpacked under `cache` (image.ts), runsc as
 * `hack/build-upstream.sh gvisor` builds it, seccomp/sandbox.json as the profile.
 */
export function imageRuntime(tarball: string, served: Served, cache: string, scratch: string): Runtime {
  const runsc = join(
    execFileSync(join(REPO, 'hack/build-upstream.sh'), ['gvisor'], { encoding: 'utf8' }).trim(),
    'runsc',
  );
  const profile = JSON.parse(readFileSync(join(REPO, 'seccomp/sandbox.json'), 'utf8'));
  return gvisorRuntime({
    runsc,
    image: unpackImage(tarball, cache),
    ...served,
    seccomp: {
      defaultAction: profile.defaultAction,
      defaultErrnoRet: profile.defaultErrnoRet,
      architectures: profile.architectures,
      syscalls: profile.syscalls,
    },
    scratch,
  });
}

export function gvisorRuntime(options: GvisorOptions): Runtime {
  const state = join(options.scratch, 'state');
  mkdirSync(state, { recursive: true });
  let sandboxes = 0;
  return {
    language: options.language,
    programFile: options.programFile,
    // Every system call goes through gVisor's Sentry, on a machine that may be busy with a cluster; runsc's
    // start and its teardown after the runner ended took a few hundred ms each here.
    slowdown: 3,
    sandboxMs: 1500,
    programWorkdir: () => WORK_DIR,
    start: (attempt) => startInGvisor(options, state, `coderun-check-${process.pid}-${++sandboxes}`, attempt),
  };
}

function bundleSpec(options: GvisorOptions, workdir: string, env: Record<string, string>): object {
  const none: string[] = [];
  const { Entrypoint, Cmd, Env } = options.image.config;
  const args = [...(Entrypoint ?? []), ...(Cmd ?? [])];
  if (args.length === 0) throw new Error('the image has no entry point');
  return {
    ociVersion: '1.0.2',
    root: { path: options.image.rootfs, readonly: true },
    process: {
      terminal: false,
      user: { uid: SANDBOX_UID, gid: SANDBOX_UID },
      args,
      env: [
        ...(Env ?? []),
        ...SANDBOX_ENV.map(({ name, value }) => `${name}=${value}`),
        ...Object.entries(env).map(([name, value]) => `${name}=${value}`),
      ],
      cwd: WORK_DIR,
      capabilities: { bounding: none, effective: none, inheritable: none, permitted: none, ambient: none },
      noNewPrivileges: true,
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
    },
    hostname: 'sandbox',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: WORK_DIR, type: 'bind', source: workdir, options: ['rbind', 'rw', 'nosuid', 'nodev'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      seccomp: options.seccomp,
    },
  };
}

function startInGvisor(options: GvisorOptions, state: string, id: string, attempt: Attempt): Started {
  const dir = mkdtempSync(join(options.scratch, 'run-'));
  const workdir = join(dir, 'work');
  const bundle = join(dir, 'bundle');
  mkdirSync(workdir);
  mkdirSync(bundle);
  // The Pod's emptyDir is writable by the sandbox user; what a case puts there counts as the program's.
  attempt.prepare?.(workdir);
  chmodSync(dir, 0o755);
  chmodSync(workdir, 0o777);
  execFileSync('chown', ['-R', '-h', `${SANDBOX_UID}:${SANDBOX_UID}`, workdir]);
  writeFileSync(
    join(bundle, 'config.json'),
    JSON.stringify(bundleSpec(options, workdir, { ...servedEnv(options), ...attempt.env })),
  );

  const runsc = (...args: string[]) => [
    '--root',
    state,
    '--network=none',
    '--oci-seccomp',
    '--ignore-cgroups',
    ...args,
  ];
  const begun = performance.now();
  const child = spawn(options.runsc, runsc('run', '--bundle', bundle, id), {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.on('error', () => {});
  if (attempt.input !== undefined) child.stdin.end(attempt.input);
  const kill = () => run(options.runsc, runsc('kill', id, 'SIGKILL')).catch(() => undefined);
  const killer = setTimeout(kill, KILL_AFTER_MS);
  const output = outputCollector();
  child.stdout.setEncoding('utf8').on('data', output.stdout);
  child.stderr.setEncoding('utf8').on('data', output.stderr);
  const ended = new Promise<{ status: number | null; at: number }>((resolve) =>
    child.on('close', (status) => {
      clearTimeout(killer);
      child.stdin.destroy();
      output.closed(status);
      resolve({ status, at: performance.now() });
    }),
  ).then(async ({ status, at }) => {
    try {
      await run(options.runsc, runsc('delete', '--force', id)).catch(() => undefined);
      attempt.inspect?.(workdir);
      return { status, ...output.text(), elapsedMs: at - begun, at };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return {
    workdir,
    report: output.report,
    ended,
    async signal(name) {
      await run(options.runsc, runsc('kill', id, name)).catch(() => undefined);
    },
  };
}
