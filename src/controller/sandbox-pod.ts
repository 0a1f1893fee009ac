// The sandbox Pod for one CodeRun: a pure function of the run and the configuration.
import { createHash } from 'node:crypto';
import type { V1EnvVar, V1Pod, V1PodSpec, V1Probe } from '@kubernetes/client-node';
import { POOL_KIND, type SandboxPool } from '../coderun/sandbox-pool.ts';
import { API_VERSION, type CodeRun, type CodeRunSpec, KIND } from '../coderun/schema.ts';
import type { ControllerConfig } from '../config/controller.ts';
import { formatBytes, formatMillicores, millicores, parseQuantity } from '../kube/quantity.ts';
import type { Runtime } from '../runtimes/catalog.ts';

export const CONTAINER_NAME = 'runner';
export const WORK_DIR = '/work';
export const SANDBOX_UID = 65534;
/** What every sandbox container's environment holds before a pool's own variables. */
export const SANDBOX_ENV: readonly { name: string; value: string }[] = [
  { name: 'CODERUN_WORKDIR', value: WORK_DIR },
  { name: 'HOME', value: WORK_DIR },
  { name: 'TMPDIR', value: '/tmp' },
];

/** The file the runner writes the program to (the runtime's `programFile`; docs/runner-protocol.md). */
export const PROGRAM_FILE_ENV = 'CODERUN_PROGRAM_FILE';
/** The runtime the Pod was made for: the runner serves jobs whose language is this name, and no other. */
export const RUNTIME_ENV = 'CODERUN_RUNTIME';

export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  component: 'app.kubernetes.io/component',
  run: 'coderun.dev/run',
  runUid: 'coderun.dev/run-uid',
  language: 'coderun.dev/language',
  /** The SandboxPool a pre-started Pod belongs to (kept after the claim, for the pool's count). */
  pool: 'coderun.dev/pool',
  /** `idle` while a pool Pod waits for a run, `claimed` once a run took it. */
  state: 'coderun.dev/state',
} as const;
export const MANAGED_BY = 'coderun';
export const SANDBOX_SELECTOR = `${LABELS.managedBy}=${MANAGED_BY},${LABELS.component}=sandbox`;

export interface EffectiveLimits {
  timeoutSeconds: number;
  cpuMillis: number;
  memoryBytes: number;
}

/**
 * The run's requested limits with the defaults filled in and the maxima applied: the runtime's where it
 * names them, else the operator's; the operator's maxima bound the runtime's too. No runtime (only the
 * timeout is wanted): the operator's alone.
 */
export function effectiveLimits(
  run: { spec: Pick<CodeRunSpec, 'resources' | 'timeoutSeconds'> },
  config: ControllerConfig,
  runtime?: Pick<Runtime, 'defaults' | 'max'>,
): EffectiveLimits {
  const requestedCpu = run.spec.resources?.cpu ? millicores(run.spec.resources.cpu) : null;
  const requestedMemory = run.spec.resources?.memory ? parseQuantity(run.spec.resources.memory) : null;
  const maxCpu = Math.min(runtime?.max.cpuMillis ?? config.maxCpuMillis, config.maxCpuMillis);
  const maxMemory = Math.min(runtime?.max.memoryBytes ?? config.maxMemoryBytes, config.maxMemoryBytes);
  const cpu = requestedCpu ?? runtime?.defaults.cpuMillis ?? config.defaultCpuMillis;
  const memory = requestedMemory ?? runtime?.defaults.memoryBytes ?? config.defaultMemoryBytes;
  return {
    timeoutSeconds: Math.min(
      run.spec.timeoutSeconds ?? config.defaultTimeoutSeconds,
      config.maxTimeoutSeconds,
    ),
    cpuMillis: Math.max(1, Math.min(cpu, maxCpu)),
    // Below 16 MiB no interpreter starts; clamp rather than produce a run that can only fail.
    memoryBytes: Math.max(16 * 2 ** 20, Math.min(Math.ceil(memory), maxMemory)),
  };
}

/** Deterministic, so a second create for the same run collides instead of making a second Pod. */
export function sandboxPodName(runName: string): string {
  const name = `${runName}-sandbox`;
  if (name.length <= 63) return name;
  // Pod names may be longer, but the hostname derived from them may not; keep it short and unique.
  const hash = createHash('sha256').update(runName).digest('hex').slice(0, 10);
  return `${runName.slice(0, 63 - 19).replace(/[-.]+$/, '')}-${hash}-sandbox`;
}

/** A label value (max 63 characters) that still identifies the run. */
export function runLabelValue(runName: string): string {
  if (runName.length <= 63) return runName;
  const hash = createHash('sha256').update(runName).digest('hex').slice(0, 10);
  return `${runName.slice(0, 52).replace(/[-.]+$/, '')}-${hash}`;
}

/** What a sandbox Pod is, apart from who it serves. */
export interface SandboxShape {
  /** The runtime's name (the Pod's language label). */
  language: string;
  image: string;
  programFile: string;
  /** Only the Python runner preloads modules (SandboxPool `preload`): runtimes whose policy is python. */
  preloads: boolean;
  cpuMillis: number;
  memoryBytes: number;
}

/** The sandbox a run needs: its runtime's image and program file, and its effective limits. */
export function runShape(run: CodeRun, runtime: Runtime, config: ControllerConfig): SandboxShape {
  const limits = effectiveLimits(run, config, runtime);
  return {
    language: runtime.name,
    image: runtime.image,
    programFile: runtime.programFile,
    preloads: runtime.policy === 'python',
    cpuMillis: limits.cpuMillis,
    memoryBytes: limits.memoryBytes,
  };
}

/** The sandbox Pod of a run whose language names `runtime`. */
export function buildSandboxPod(run: CodeRun, runtime: Runtime, config: ControllerConfig): V1Pod {
  const limits = effectiveLimits(run, config, runtime);
  const shape = runShape(run, runtime, config);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: sandboxPodName(run.metadata.name),
      namespace: run.metadata.namespace,
      labels: { ...sandboxLabels(shape.language), ...runLabels(run) },
      annotations: { ...SANDBOX_ANNOTATIONS, [RUN_NAME_ANNOTATION]: run.metadata.name },
      ownerReferences: [runOwner(run)],
    },
    spec: sandboxPodSpec(shape, config, {
      activeDeadlineSeconds: limits.timeoutSeconds + config.deadlineGraceSeconds,
      cpuRequestMillis: Math.min(shape.cpuMillis, config.cpuRequestMillis ?? shape.cpuMillis),
    }),
  };
}

/**
 * An idle Pod of a pool: hardened exactly like a run's own, waiting on stdin for one job. Its deadline
 * covers the longest idle time plus the longest run; a claim lowers it to the run's own.
 */
export function buildPoolPod(pool: SandboxPool, shape: SandboxShape, config: ControllerConfig): V1Pod {
  const pod = poolPodWithoutHash(pool, shape, config);
  // Idle Pods built from another template (the pool or the operator changed) are replaced, never claimed.
  const hash = createHash('sha256').update(JSON.stringify(pod.spec)).digest('hex').slice(0, 16);
  pod.metadata = {
    ...pod.metadata,
    annotations: { ...pod.metadata?.annotations, [TEMPLATE_HASH_ANNOTATION]: hash },
  };
  return pod;
}

export const TEMPLATE_HASH_ANNOTATION = 'coderun.dev/template-hash';

function poolPodWithoutHash(pool: SandboxPool, shape: SandboxShape, config: ControllerConfig): V1Pod {
  const waitSeconds = pool.spec.maxIdleSeconds + POOL_JOB_WAIT_SLACK_SECONDS;
  // Only the Python runner preloads (and announces when it is done).
  const preload = shape.preloads ? pool.spec.preload?.join(',') : undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${pool.metadata.name.slice(0, 50)}-`,
      namespace: pool.metadata.namespace,
      labels: {
        ...sandboxLabels(shape.language),
        [LABELS.pool]: pool.metadata.name,
        [LABELS.state]: 'idle',
      },
      annotations: { ...SANDBOX_ANNOTATIONS },
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: POOL_KIND,
          name: pool.metadata.name,
          uid: pool.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: sandboxPodSpec(shape, config, {
      activeDeadlineSeconds: waitSeconds + config.maxTimeoutSeconds + config.deadlineGraceSeconds,
      env: [
        { name: 'CODERUN_JOB_WAIT_SECONDS', value: String(waitSeconds) },
        ...(preload ? [{ name: 'CODERUN_PRELOAD', value: preload }] : []),
        ...(preload ? [{ name: 'CODERUN_READY_FILE', value: READY_FILE }] : []),
      ],
      // An idle Pod uses next to no CPU: it asks the scheduler for little (no more than a run's Pod asks
      // for), while its limit is the run's.
      cpuRequestMillis: Math.min(
        shape.cpuMillis,
        POOL_CPU_REQUEST_MILLIS,
        config.cpuRequestMillis ?? POOL_CPU_REQUEST_MILLIS,
      ),
      // Importing the preloaded modules takes seconds; until the runner says it is done the Pod is not
      // Ready, so no run claims it and then waits for the imports.
      ...(preload ? { startupProbe: READY_PROBE } : {}),
    }),
  };
}

/**
 * The pool Pod as the run's own: labelled and owned like a cold Pod (so garbage collection and every
 * lookup treat it alike) and with its deadline lowered to the run's, counted from the Pod's start.
 * Written with the Pod's resourceVersion, so two runs can never both claim it.
 */
export function claimedPod(pod: V1Pod, run: CodeRun, config: ControllerConfig, now: Date): V1Pod {
  // Only the timeout matters here; the Pod's size is the pool's, equal to the run's.
  const limits = effectiveLimits(run, config);
  const started = pod.status?.startTime ?? pod.metadata?.creationTimestamp ?? now;
  const runningSeconds = Math.max(0, Math.ceil((now.getTime() - new Date(started).getTime()) / 1000));
  const deadline = runningSeconds + limits.timeoutSeconds + config.deadlineGraceSeconds;
  const current = pod.spec?.activeDeadlineSeconds;
  return {
    ...pod,
    metadata: {
      ...pod.metadata,
      labels: { ...pod.metadata?.labels, ...runLabels(run), [LABELS.state]: 'claimed' },
      annotations: {
        ...pod.metadata?.annotations,
        [RUN_NAME_ANNOTATION]: run.metadata.name,
        [CLAIMED_AT_ANNOTATION]: now.toISOString(),
      },
      ownerReferences: [runOwner(run)],
    },
    spec: {
      ...(pod.spec as V1PodSpec),
      // Kubernetes only lets the deadline go down.
      activeDeadlineSeconds: current === undefined ? deadline : Math.min(current, deadline),
    },
  };
}

export const RUN_NAME_ANNOTATION = 'coderun.dev/run-name';
/**
 * When a run claimed the pool Pod: its clock starts there, also for a controller that finds the claim
 * after a restart that lost the status write (the Pod itself may have waited an hour before).
 */
export const CLAIMED_AT_ANNOTATION = 'coderun.dev/claimed-at';

/** When the run claimed this pool Pod, from its annotation; undefined for a cold Pod. */
export function claimedAt(pod: V1Pod): Date | undefined {
  const at = pod.metadata?.annotations?.[CLAIMED_AT_ANNOTATION];
  const date = at ? new Date(at) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}
/** Where a runner that preloads says it is ready (docs/runner-protocol.md, Readiness). */
export const READY_FILE = '/tmp/.coderun-ready';
/**
 * Until the runner has created READY_FILE: looked for every second, for as long as a preload may take
 * (10 minutes), after which the kubelet ends the container and the pool replaces the Pod.
 */
const READY_PROBE: V1Probe = {
  exec: { command: ['/usr/bin/test', '-e', READY_FILE] },
  periodSeconds: 1,
  timeoutSeconds: 5,
  failureThreshold: 600,
};
// What an idle pool Pod asks the scheduler for; its limit is the full size of the run it will serve.
const POOL_CPU_REQUEST_MILLIS = 100;
// The runner of a pool Pod gives up waiting a little after the pool would have recycled it.
const POOL_JOB_WAIT_SLACK_SECONDS = 60;
const SANDBOX_ANNOTATIONS = {
  // Asks runsc to enforce the seccomp profile inside the sandbox; the node config should also set it.
  'dev.gvisor.flag.oci-seccomp': 'true',
};

function sandboxLabels(language: string): Record<string, string> {
  return {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.component]: 'sandbox',
    [LABELS.language]: language,
  };
}

function runLabels(run: CodeRun): Record<string, string> {
  return { [LABELS.run]: runLabelValue(run.metadata.name), [LABELS.runUid]: run.metadata.uid };
}

function runOwner(run: CodeRun) {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: run.metadata.name,
    uid: run.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

function sandboxPodSpec(
  shape: SandboxShape,
  config: ControllerConfig,
  opts: {
    activeDeadlineSeconds: number;
    cpuRequestMillis: number;
    env?: V1EnvVar[];
    startupProbe?: V1Probe;
  },
): V1PodSpec {
  const { activeDeadlineSeconds, cpuRequestMillis } = opts;
  const resources = {
    cpu: formatMillicores(shape.cpuMillis),
    memory: formatBytes(shape.memoryBytes),
    'ephemeral-storage': formatBytes(config.ephemeralStorageBytes),
  };
  const requests = { ...resources, cpu: formatMillicores(cpuRequestMillis) };
  return {
    ...(config.runtimeClassName ? { runtimeClassName: config.runtimeClassName } : {}),
    restartPolicy: 'Never',
    activeDeadlineSeconds,
    terminationGracePeriodSeconds: 1,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    hostNetwork: false,
    hostPID: false,
    hostIPC: false,
    // The sandbox has no network; a program that looks a name up must fail at once, not after the
    // resolver's timeouts (glibc's are 5 s x 2 attempts per query). Nothing listens on loopback port 53,
    // so a lookup is refused immediately; timeout:1 attempts:1 bound it where the node allows traffic.
    dnsPolicy: 'None',
    dnsConfig: {
      nameservers: ['127.0.0.1'],
      searches: [],
      options: [
        { name: 'timeout', value: '1' },
        { name: 'attempts', value: '1' },
      ],
    },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: SANDBOX_UID,
      runAsGroup: SANDBOX_UID,
      fsGroup: SANDBOX_UID,
      seccompProfile: config.seccompProfile
        ? { type: 'Localhost', localhostProfile: config.seccompProfile }
        : { type: 'RuntimeDefault' },
    },
    containers: [
      {
        name: CONTAINER_NAME,
        image: shape.image,
        imagePullPolicy: config.imagePullPolicy,
        stdin: true,
        stdinOnce: true,
        tty: false,
        workingDir: WORK_DIR,
        env: [
          ...SANDBOX_ENV,
          { name: RUNTIME_ENV, value: shape.language },
          { name: PROGRAM_FILE_ENV, value: shape.programFile },
          ...(opts.env ?? []),
        ],
        resources: { requests, limits: resources },
        ...(opts.startupProbe ? { startupProbe: opts.startupProbe } : {}),
        securityContext: {
          allowPrivilegeEscalation: false,
          privileged: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          runAsUser: SANDBOX_UID,
          capabilities: { drop: ['ALL'] },
        },
        volumeMounts: [
          { name: 'work', mountPath: WORK_DIR },
          { name: 'tmp', mountPath: '/tmp' },
        ],
        terminationMessagePolicy: 'File',
      },
    ],
    volumes: [
      { name: 'work', emptyDir: { medium: 'Memory', sizeLimit: formatBytes(config.workDirBytes) } },
      { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: formatBytes(config.tmpDirBytes) } },
    ],
  };
}
