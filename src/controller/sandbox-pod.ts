// The sandbox Pod for one CodeRun: a pure function of the run and the configuration.
import { createHash } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import { API_VERSION, type CodeRun, KIND } from '../coderun/schema.ts';
import type { ControllerConfig } from '../config/controller.ts';
import { formatBytes, formatMillicores, millicores, parseQuantity } from '../kube/quantity.ts';

export const CONTAINER_NAME = 'runner';
export const WORK_DIR = '/work';
export const SANDBOX_UID = 65534;

export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  component: 'app.kubernetes.io/component',
  run: 'coderun.dev/run',
  runUid: 'coderun.dev/run-uid',
  language: 'coderun.dev/language',
} as const;
export const MANAGED_BY = 'coderun';
export const SANDBOX_SELECTOR = `${LABELS.managedBy}=${MANAGED_BY},${LABELS.component}=sandbox`;

export interface EffectiveLimits {
  timeoutSeconds: number;
  cpuMillis: number;
  memoryBytes: number;
}

/** The run's requested limits with the operator's defaults filled in and its maxima applied. */
export function effectiveLimits(run: CodeRun, config: ControllerConfig): EffectiveLimits {
  const requestedCpu = run.spec.resources?.cpu ? millicores(run.spec.resources.cpu) : null;
  const requestedMemory = run.spec.resources?.memory ? parseQuantity(run.spec.resources.memory) : null;
  return {
    timeoutSeconds: Math.min(
      run.spec.timeoutSeconds ?? config.defaultTimeoutSeconds,
      config.maxTimeoutSeconds,
    ),
    cpuMillis: Math.max(1, Math.min(requestedCpu ?? config.defaultCpuMillis, config.maxCpuMillis)),
    // Below 16 MiB no interpreter starts; clamp rather than produce a run that can only fail.
    memoryBytes: Math.max(
      16 * 2 ** 20,
      Math.min(Math.ceil(requestedMemory ?? config.defaultMemoryBytes), config.maxMemoryBytes),
    ),
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

export function buildSandboxPod(run: CodeRun, config: ControllerConfig): V1Pod {
  const limits = effectiveLimits(run, config);
  const resources = {
    cpu: formatMillicores(limits.cpuMillis),
    memory: formatBytes(limits.memoryBytes),
    'ephemeral-storage': formatBytes(config.ephemeralStorageBytes),
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: sandboxPodName(run.metadata.name),
      namespace: run.metadata.namespace,
      labels: {
        [LABELS.managedBy]: MANAGED_BY,
        [LABELS.component]: 'sandbox',
        [LABELS.run]: runLabelValue(run.metadata.name),
        [LABELS.runUid]: run.metadata.uid,
        [LABELS.language]: run.spec.language,
      },
      annotations: {
        'coderun.dev/run-name': run.metadata.name,
        // Asks runsc to enforce the seccomp profile inside the sandbox; the node config should also set it.
        'dev.gvisor.flag.oci-seccomp': 'true',
      },
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: KIND,
          name: run.metadata.name,
          uid: run.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      ...(config.runtimeClassName ? { runtimeClassName: config.runtimeClassName } : {}),
      restartPolicy: 'Never',
      activeDeadlineSeconds: limits.timeoutSeconds + config.deadlineGraceSeconds,
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
          image: config.images[run.spec.language],
          imagePullPolicy: config.imagePullPolicy,
          stdin: true,
          stdinOnce: true,
          tty: false,
          workingDir: WORK_DIR,
          env: [
            { name: 'CODERUN_WORKDIR', value: WORK_DIR },
            { name: 'HOME', value: WORK_DIR },
            { name: 'TMPDIR', value: '/tmp' },
          ],
          resources: { requests: resources, limits: resources },
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
    },
  };
}
