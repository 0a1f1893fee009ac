// The controller's configuration: the variables only it reads (common.ts declares those both commands read),
// each with its default and accepted form, read once at start-up.
import { LIMITS } from '../coderun/schema.ts';
import type { BuiltinImages } from '../runtimes/catalog.ts';
import { VERSION } from '../version.ts';
import { type CommonConfig, commonConfig, commonShape } from './common.ts';
import {
  atMost,
  boolean,
  ConfigError,
  cpu,
  integer,
  list,
  memory,
  oneOf,
  optionalCpu,
  parseEnv,
  seconds,
  text,
} from './env.ts';

export interface ControllerConfig extends CommonConfig {
  /** Namespaces whose CodeRuns this controller serves; empty means all. */
  namespaces: string[];
  /**
   * The images of the built-in python and nodejs runtimes, served only while the cluster registers no
   * SandboxRuntime (src/runtimes/catalog.ts).
   */
  images: BuiltinImages;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** Empty disables runtimeClassName (only for clusters without gVisor, e.g. development). */
  runtimeClassName: string;
  /** Path below the kubelet's seccomp root, e.g. coderun/sandbox.json; empty uses RuntimeDefault. */
  seccompProfile: string;
  defaultCpuMillis: number;
  /**
   * What a run's Pod asks the scheduler for, when less than its CPU limit (which stays the run's CPU): the
   * program bursts up to its limit on an idle node and gets a share in proportion to this under load.
   * Undefined: the request is the limit.
   */
  cpuRequestMillis: number | undefined;
  maxCpuMillis: number;
  defaultMemoryBytes: number;
  maxMemoryBytes: number;
  workDirBytes: number;
  tmpDirBytes: number;
  ephemeralStorageBytes: number;
  maxOutputBytes: number;
  /** activeDeadlineSeconds = timeout + this, so the Pod is killed even if the runner hangs. */
  deadlineGraceSeconds: number;
  /** A Pod that is not running this long after creation fails the run (Unschedulable or StartTimeout). */
  startTimeoutSeconds: number;
  /** How long a sandbox that listed artifacts waits for the controller to fetch them. */
  artifactHoldSeconds: number;
  /** Artifact fetches at once (each streams; this bounds memory and the store's load). */
  artifactCollections: number;
  /** With a store, the bytes of stdout and stderr (each) and of the result's JSON a status keeps. */
  statusPreviewBytes: number;
  /** Keep an attach open to every idle pool Pod, so a claim only writes the job (the warm hot path). */
  preattach: boolean;
  /** How often run folders in the store whose run is gone are deleted (the safety net behind the TTL). */
  artifactSweepSeconds: number;
  resyncSeconds: number;
  leaderElection: {
    enabled: boolean;
    leaseName: string;
    leaseNamespace: string;
    identity: string;
    leaseDurationSeconds: number;
    renewDeadlineSeconds: number;
    retryPeriodSeconds: number;
  };
  /** Where /healthz, /readyz and /metrics are served. */
  http: { host: string; port: number };
  /** The isolation self-test (self-test.ts): a probe run at start-up, periodically and on request. */
  selfTest: {
    enabled: boolean;
    /** Seconds between runs after the first; 0 runs it only at start-up and on request. */
    intervalSeconds: number;
    /** Where the probe runs: a namespace this controller serves (the sandbox namespace). */
    namespace: string;
    /** The ConfigMap the result is published in, and requests are read from. */
    configMap: { namespace: string; name: string };
  };
}

export const controllerShape = {
  ...commonShape,
  CODERUN_NAMESPACES: list(),
  // The sandbox images of this operator's own version (hack/build-sandbox-images.sh builds them so).
  SANDBOX_BASE_PYTHON_IMAGE: text(`coderun/sandbox-python:${VERSION}`),
  SANDBOX_BASE_NODEJS_IMAGE: text(`coderun/sandbox-nodejs:${VERSION}`),
  CODERUN_IMAGE_PULL_POLICY: text('IfNotPresent'),
  CODERUN_RUNTIME_CLASS: text('gvisor'),
  CODERUN_SECCOMP_PROFILE: text('coderun/sandbox.json'),
  CODERUN_DEFAULT_CPU: cpu('1'),
  CODERUN_MAX_CPU: cpu('2'),
  CODERUN_CPU_REQUEST: optionalCpu(),
  SANDBOX_MAX_MEMORY: memory('256Mi'),
  CODERUN_MAX_MEMORY: memory('2Gi'),
  CODERUN_WORKDIR_SIZE: memory('64Mi'),
  CODERUN_TMPDIR_SIZE: memory('16Mi'),
  CODERUN_EPHEMERAL_STORAGE: memory('128Mi'),
  CODERUN_MAX_OUTPUT_BYTES: integer(LIMITS.streamMaxBytes, 1024, LIMITS.streamMaxBytes),
  CODERUN_DEADLINE_GRACE: seconds(15, 1, 600),
  CODERUN_START_TIMEOUT: seconds(120, 5, 3600),
  CODERUN_ARTIFACT_HOLD: seconds(60, 1, 3600),
  CODERUN_ARTIFACT_COLLECTIONS: integer(4, 1, 64),
  CODERUN_ARTIFACT_SWEEP: seconds(300, 10, 86_400),
  CODERUN_PREATTACH: boolean(true),
  CODERUN_STATUS_PREVIEW_BYTES: integer(4096, 256, LIMITS.streamMaxBytes),
  CODERUN_RESYNC: seconds(30, 1, 3600),
  CODERUN_LEADER_ELECTION: boolean(true),
  CODERUN_LEASE_NAME: text('coderun-controller'),
  CODERUN_LEASE_NAMESPACE: text(''),
  HOSTNAME: text('coderun-controller'),
  CODERUN_LEASE_DURATION: seconds(15, 2, 600),
  CODERUN_LEASE_RENEW_DEADLINE: seconds(10, 1, 600),
  CODERUN_LEASE_RETRY_PERIOD: seconds(2, 1, 60),
  CODERUN_CONTROLLER_HOST: text('0.0.0.0'),
  CODERUN_CONTROLLER_PORT: integer(8081, 0, 65_535),
  CODERUN_SELF_TEST: boolean(true),
  CODERUN_SELF_TEST_INTERVAL: seconds(3600, 0, 7 * 86_400),
  CODERUN_SELF_TEST_NAMESPACE: text(''),
};

/** The probe's namespace: the one named, else the first served, else the controller's own. */
function selfTestNamespace(
  e: { CODERUN_SELF_TEST_NAMESPACE: string; POD_NAMESPACE: string },
  served: string[],
): string {
  const namespace = e.CODERUN_SELF_TEST_NAMESPACE || served[0] || e.POD_NAMESPACE;
  if (served.length && !served.includes(namespace))
    throw new ConfigError(
      `invalid configuration:\n  CODERUN_SELF_TEST_NAMESPACE=${JSON.stringify(namespace)}: not one of CODERUN_NAMESPACES (${served.join(',')}), so no probe there would ever run`,
    );
  return namespace;
}

export function loadControllerConfig(env: NodeJS.ProcessEnv): ControllerConfig {
  const e = parseEnv(controllerShape, env);
  const common = commonConfig(e);
  atMost('CODERUN_DEFAULT_CPU', e.CODERUN_DEFAULT_CPU, 'CODERUN_MAX_CPU', e.CODERUN_MAX_CPU);
  atMost('SANDBOX_MAX_MEMORY', e.SANDBOX_MAX_MEMORY, 'CODERUN_MAX_MEMORY', e.CODERUN_MAX_MEMORY);
  atMost(
    'CODERUN_LEASE_RENEW_DEADLINE',
    e.CODERUN_LEASE_RENEW_DEADLINE,
    'CODERUN_LEASE_DURATION',
    e.CODERUN_LEASE_DURATION,
  );
  if (e.CODERUN_SELF_TEST_INTERVAL > 0 && e.CODERUN_SELF_TEST_INTERVAL < 60)
    throw new ConfigError(
      `invalid configuration:\n  CODERUN_SELF_TEST_INTERVAL=${e.CODERUN_SELF_TEST_INTERVAL}: expected 0 (start-up and requests only) or at least 60 seconds`,
    );
  return {
    ...common,
    namespaces: e.CODERUN_NAMESPACES,
    images: { python: e.SANDBOX_BASE_PYTHON_IMAGE, nodejs: e.SANDBOX_BASE_NODEJS_IMAGE },
    imagePullPolicy: oneOf('CODERUN_IMAGE_PULL_POLICY', e.CODERUN_IMAGE_PULL_POLICY, [
      'Always',
      'IfNotPresent',
      'Never',
    ]),
    runtimeClassName: e.CODERUN_RUNTIME_CLASS,
    seccompProfile: e.CODERUN_SECCOMP_PROFILE,
    defaultCpuMillis: e.CODERUN_DEFAULT_CPU,
    cpuRequestMillis: e.CODERUN_CPU_REQUEST,
    maxCpuMillis: e.CODERUN_MAX_CPU,
    defaultMemoryBytes: e.SANDBOX_MAX_MEMORY,
    maxMemoryBytes: e.CODERUN_MAX_MEMORY,
    workDirBytes: e.CODERUN_WORKDIR_SIZE,
    tmpDirBytes: e.CODERUN_TMPDIR_SIZE,
    ephemeralStorageBytes: e.CODERUN_EPHEMERAL_STORAGE,
    maxOutputBytes: e.CODERUN_MAX_OUTPUT_BYTES,
    deadlineGraceSeconds: e.CODERUN_DEADLINE_GRACE,
    startTimeoutSeconds: e.CODERUN_START_TIMEOUT,
    artifactHoldSeconds: e.CODERUN_ARTIFACT_HOLD,
    artifactCollections: e.CODERUN_ARTIFACT_COLLECTIONS,
    artifactSweepSeconds: e.CODERUN_ARTIFACT_SWEEP,
    preattach: e.CODERUN_PREATTACH,
    statusPreviewBytes: e.CODERUN_STATUS_PREVIEW_BYTES,
    resyncSeconds: e.CODERUN_RESYNC,
    leaderElection: {
      enabled: e.CODERUN_LEADER_ELECTION,
      leaseName: e.CODERUN_LEASE_NAME,
      leaseNamespace: e.CODERUN_LEASE_NAMESPACE || e.POD_NAMESPACE,
      identity: e.POD_NAME || `${e.HOSTNAME}-${process.pid}`,
      leaseDurationSeconds: e.CODERUN_LEASE_DURATION,
      renewDeadlineSeconds: e.CODERUN_LEASE_RENEW_DEADLINE,
      retryPeriodSeconds: e.CODERUN_LEASE_RETRY_PERIOD,
    },
    http: { host: e.CODERUN_CONTROLLER_HOST, port: e.CODERUN_CONTROLLER_PORT },
    selfTest: {
      enabled: e.CODERUN_SELF_TEST,
      intervalSeconds: e.CODERUN_SELF_TEST_INTERVAL,
      namespace: selfTestNamespace(e, e.CODERUN_NAMESPACES),
      configMap: { namespace: e.POD_NAMESPACE, name: e.CODERUN_SELF_TEST_CONFIGMAP },
    },
  };
}
