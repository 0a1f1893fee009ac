// Serving a run warm that needs more than its pool's Pods have: the claimed Pod is resized in place
// (Kubernetes in-place Pod resize, the `resize` subresource) before the job goes out. Pure.
//
// Measured under gVisor (runsc 2026-05-27, containerd 2.3, Kubernetes 1.36; docs/performance.md): the
// kubelet applies a resize to the Pod's cgroup in 100-200 ms without a restart, and the sandbox then gets
// the new CPU quota and may use the new memory (a program allocated 400 MiB after 256Mi -> 512Mi; an
// unresized 256Mi sandbox was OOM-killed doing the same). What the guest reports stays at its boot values
// (/proc/meminfo, the cgroup files inside the sandbox; gVisor issue 14141). Node.js sizes V8's heap from
// that at its start (259 MiB in a 256Mi sandbox, still 259 MiB after growing to 2Gi, 1120 MiB in a fresh
// 2Gi one), so a Node.js run that needs more memory than its pool's would behave differently warm: only
// runtimes whose interpreter sizes nothing by memory (the Python runner) grow memory in place.
import type { V1Pod, V1ResourceRequirements } from '@kubernetes/client-node';
import { formatBytes, formatMillicores, millicores, parseQuantity } from '../kube/quantity.ts';
import type { SandboxShape } from './sandbox-pod.ts';

/** On a claimed pool Pod: the limits the run needs, JSON `{"cpuMillis":..,"memoryBytes":..}`. */
export const RESIZE_ANNOTATION = 'coderun.dev/resize-to';

/** How long a resize may take before the run moves on to a fresh sandbox. */
export const RESIZE_TIMEOUT_MS = 10_000;

export type Size = Pick<SandboxShape, 'cpuMillis' | 'memoryBytes'>;
type Sized = Pick<SandboxShape, 'language' | 'image' | 'programFile' | 'cpuMillis' | 'memoryBytes'>;

/**
 * Whether a Pod of shape `have` can serve a run that needs `need` once resized: the same sandbox, no limit
 * above the run's, at least one below it, and memory the same unless the runtime may grow it.
 */
export function growsInto(have: Sized, need: Sized, memoryGrows: boolean): boolean {
  if (have.language !== need.language || have.image !== need.image || have.programFile !== need.programFile)
    return false;
  if (have.cpuMillis > need.cpuMillis || have.memoryBytes > need.memoryBytes) return false;
  if (!memoryGrows && have.memoryBytes !== need.memoryBytes) return false;
  return have.cpuMillis < need.cpuMillis || have.memoryBytes < need.memoryBytes;
}

/** Whether a runtime's runs may have their memory grown in place (see the top of this file). */
export function memoryGrowsInPlace(runtime: { policy: string | null }): boolean {
  return runtime.policy === 'python';
}

/** The claim of a Pod that is to grow to `size` carries that size, so any later reconcile knows it. */
export function markForResize(claim: V1Pod, size: Size | undefined): V1Pod {
  if (!size) return claim;
  const annotation = JSON.stringify({ cpuMillis: size.cpuMillis, memoryBytes: size.memoryBytes });
  return {
    ...claim,
    metadata: {
      ...claim.metadata,
      annotations: { ...claim.metadata?.annotations, [RESIZE_ANNOTATION]: annotation },
    },
  };
}

/** The size a claimed Pod is to be resized to, from its annotation; undefined when it is not to be. */
export function resizeTarget(pod: V1Pod): Size | undefined {
  const text = pod.metadata?.annotations?.[RESIZE_ANNOTATION];
  if (!text) return undefined;
  try {
    const { cpuMillis, memoryBytes } = JSON.parse(text) as Partial<Size>;
    if (Number.isInteger(cpuMillis) && Number.isInteger(memoryBytes))
      return { cpuMillis: cpuMillis as number, memoryBytes: memoryBytes as number };
  } catch {
    // not ours to read: treated as no resize, so the run's limits decide (below)
  }
  return undefined;
}

type Resources = Record<string, string>;

/**
 * The container's resources after the resize: the run's CPU and memory limits, memory requested in full
 * as every sandbox does; the CPU request grows with the limit only where it equalled it. Kubernetes
 * refuses a resize that changes the Pod's QoS class, and this keeps it.
 */
export function resizedResources(pod: V1Pod, size: Size): V1ResourceRequirements {
  const have = pod.spec?.containers?.[0]?.resources ?? {};
  const limits = { ...(have.limits as Resources | undefined) };
  const requests = { ...(have.requests as Resources | undefined) };
  const cpu = formatMillicores(size.cpuMillis);
  const memory = formatBytes(size.memoryBytes);
  if (requests.cpu !== undefined && requests.cpu === limits.cpu) requests.cpu = cpu;
  limits.cpu = cpu;
  limits.memory = memory;
  requests.memory = memory;
  return { limits, requests };
}

export type ResizeProgress =
  /** Nothing to resize, or the Pod has the size: the job may go. */
  | { state: 'done' }
  /** The Pod's spec is not the run's size yet: ask for it. */
  | { state: 'needed'; resources: V1ResourceRequirements }
  /** Asked; the kubelet has not applied it yet. */
  | { state: 'pending' }
  /** The kubelet will not apply it (now, or in time): the run moves on to a fresh sandbox. */
  | { state: 'refused'; message: string };

function same(a: unknown, b: unknown, read: (text: string) => number | null): boolean {
  return a !== undefined && b !== undefined && read(String(a)) === read(String(b));
}

/** Where a claimed Pod's resize stands, from the Pod alone. */
export function resizeProgress(pod: V1Pod, claimedAt: Date | undefined, now: Date): ResizeProgress {
  const size = resizeTarget(pod);
  if (!size) return { state: 'done' };
  const spec = pod.spec?.containers?.[0]?.resources?.limits;
  const specIsTarget =
    millicores(String(spec?.cpu ?? '')) === size.cpuMillis &&
    parseQuantity(String(spec?.memory ?? '')) === size.memoryBytes;
  if (!specIsTarget) return { state: 'needed', resources: resizedResources(pod, size) };
  // Deferred or Infeasible (PodResizePending), or the runtime failed to apply it (PodResizeInProgress with
  // reason Error: a runsc without the shim's Task.Update, say).
  const refused = pod.status?.conditions?.find(
    (c) =>
      c.status === 'True' &&
      (c.type === 'PodResizePending' || (c.type === 'PodResizeInProgress' && c.reason === 'Error')),
  );
  if (refused) {
    const why = [refused.reason, refused.message].filter(Boolean).join(': ');
    return { state: 'refused', message: `the kubelet did not resize the pool Pod (${why || 'pending'})` };
  }
  const applied = pod.status?.containerStatuses?.[0]?.resources?.limits;
  const inProgress = pod.status?.conditions?.some(
    (c) => c.type === 'PodResizeInProgress' && c.status === 'True',
  );
  const generationSeen =
    pod.metadata?.generation === undefined ||
    (pod.status?.observedGeneration ?? 0) >= pod.metadata.generation;
  if (
    generationSeen &&
    !inProgress &&
    same(applied?.cpu, spec?.cpu, millicores) &&
    same(applied?.memory, spec?.memory, parseQuantity)
  )
    return { state: 'done' };
  if (claimedAt && now.getTime() - claimedAt.getTime() > RESIZE_TIMEOUT_MS)
    return { state: 'refused', message: `the pool Pod was not resized within ${RESIZE_TIMEOUT_MS / 1000} s` };
  return { state: 'pending' };
}
