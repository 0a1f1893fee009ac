// Warm pools, the pure part: which pool Pods a run may claim, and what a pool needs to converge.
import type { V1Pod } from '@kubernetes/client-node';
import {
  POOL_CONDITION_TYPE,
  type PoolConditionReason,
  type SandboxPool,
  type SandboxPoolStatus,
} from '../coderun/sandbox-pool.ts';
import type { CodeRun } from '../coderun/schema.ts';
import type { ControllerConfig } from '../config/controller.ts';
import { millicores, parseQuantity } from '../kube/quantity.ts';
import type { Runtime, RuntimeSet } from '../runtimes/catalog.ts';
import { growsInto, memoryGrowsInPlace, type Size } from './resize.ts';
import {
  buildPoolPod,
  effectiveLimits,
  LABELS,
  MANAGED_BY,
  runShape,
  type SandboxShape,
  TEMPLATE_HASH_ANNOTATION,
} from './sandbox-pod.ts';
import { setCondition } from './status.ts';

/** The sandbox a pool's Pods have: its runtime's, with its resources clamped exactly as a run's are. */
export function poolShape(pool: SandboxPool, runtime: Runtime, config: ControllerConfig): SandboxShape {
  const limits = effectiveLimits({ spec: { resources: pool.spec.resources } }, config, runtime);
  return {
    language: runtime.name,
    image: pool.spec.image || runtime.image,
    programFile: runtime.programFile,
    preloads: runtime.policy === 'python',
    cpuMillis: limits.cpuMillis,
    memoryBytes: limits.memoryBytes,
  };
}

/** What a Pod's labels and container say of its sandbox. */
type PodSize = Pick<SandboxShape, 'language' | 'image' | 'cpuMillis' | 'memoryBytes'>;

function sameShape(a: PodSize, b: PodSize): boolean {
  return (
    a.language === b.language &&
    a.image === b.image &&
    a.cpuMillis === b.cpuMillis &&
    a.memoryBytes === b.memoryBytes
  );
}

/** The shape a Pod really has (its container's limits), so a pool edited since its creation cannot mislead. */
function podShape(pod: V1Pod): PodSize | undefined {
  const container = pod.spec?.containers?.[0];
  const limits = container?.resources?.limits;
  const language = pod.metadata?.labels?.[LABELS.language];
  const cpuMillis = millicores(String(limits?.cpu ?? ''));
  const memoryBytes = parseQuantity(String(limits?.memory ?? ''));
  if (!container?.image || cpuMillis === null || memoryBytes === null || !language) return undefined;
  return { language, image: container.image, cpuMillis, memoryBytes };
}

export function isIdle(pod: V1Pod): boolean {
  return pod.metadata?.labels?.[LABELS.state] === 'idle' && !pod.metadata?.deletionTimestamp;
}

/** Idle, running, and its runner still waiting: a claim gets the job to it at once. */
export function isClaimable(pod: V1Pod): boolean {
  if (!isIdle(pod) || pod.status?.phase !== 'Running') return false;
  const container = pod.status.containerStatuses?.[0];
  return Boolean(container?.state?.running && container.ready !== false);
}

/** The template hash the pool's Pods carry when built with this configuration. */
function templateHash(pool: SandboxPool, runtime: Runtime, config: ControllerConfig): string {
  const pod = buildPoolPod(pool, poolShape(pool, runtime, config), config);
  return pod.metadata?.annotations?.[TEMPLATE_HASH_ANNOTATION] ?? '';
}

/**
 * Pods of pools whose sandbox is what the run needs, built from their current template, ready to be claimed;
 * those of the pools that suit the program best. A Pod smaller than the run needs also fits (resize.ts):
 * it is resized in place once claimed, unless the run has already had to leave a sandbox once.
 */
export function claimCandidates(
  run: CodeRun,
  pools: readonly SandboxPool[],
  pods: readonly V1Pod[],
  config: ControllerConfig,
  runtimes: RuntimeSet,
): V1Pod[] {
  const runtime = runtimes.resolve(run.spec.language);
  if (!runtime) return [];
  const need = runShape(run, runtime, config);
  const mayResize = !run.status?.sandboxRetries;
  const memoryGrows = memoryGrowsInPlace(runtime);
  /** 0: exactly the run's size; 1: smaller, and resized once claimed; undefined: does not fit. */
  const fitOf = (have: PodSize & Pick<SandboxShape, 'programFile'>): 0 | 1 | undefined => {
    if (have.programFile !== need.programFile) return undefined;
    if (sameShape(have, need)) return 0;
    return mayResize && growsInto(have, need, memoryGrows) ? 1 : undefined;
  };
  // Each suitable pool with the template hash its Pods carry now: a Pod built from an older template (the
  // operator's seccomp profile, the runtime's image or the hardening changed since) waits for its
  // replacement, never a run.
  const templateOf = new Map<string, { hash: string; programFile: string }>();
  for (const p of pools) {
    const poolRuntime = runtimes.resolve(p.spec.language);
    if (p.metadata.namespace !== run.metadata.namespace || p.metadata.deletionTimestamp || !poolRuntime)
      continue;
    const shape = poolShape(p, poolRuntime, config);
    if (fitOf(shape) !== undefined)
      templateOf.set(p.metadata.name, {
        hash: templateHash(p, poolRuntime, config),
        programFile: shape.programFile,
      });
  }
  if (templateOf.size === 0) return [];
  const imports = runtime.policy === 'python' ? pythonImports(run.spec.source) : new Set<string>();
  const preloadOf = new Map(
    pools
      .filter((p) => templateOf.has(p.metadata.name))
      .map((p) => [p.metadata.name, preloadRank(p.spec.preload ?? [], imports)]),
  );
  // A pool's preload matters more than a resize (an import takes seconds, a resize a fraction of one).
  const ranked: { pod: V1Pod; rank: number }[] = [];
  for (const pod of pods) {
    const pool = pod.metadata?.labels?.[LABELS.pool] ?? '';
    const template = templateOf.get(pool);
    const shape = podShape(pod);
    if (!template || !shape || pod.metadata?.namespace !== run.metadata.namespace) continue;
    if (pod.metadata?.annotations?.[TEMPLATE_HASH_ANNOTATION] !== template.hash || !isClaimable(pod))
      continue;
    const fit = fitOf({ ...shape, programFile: template.programFile });
    if (fit !== undefined) ranked.push({ pod, rank: 2 * (preloadOf.get(pool) ?? 1) + fit });
  }
  const best = Math.min(...ranked.map((r) => r.rank));
  return ranked.filter((r) => r.rank === best).map((r) => r.pod);
}

/** The size the run needs when the Pod it claims is smaller (resize.ts), else undefined. */
export function sizeToGrow(
  pod: V1Pod,
  run: CodeRun,
  runtime: Runtime,
  config: ControllerConfig,
): Size | undefined {
  const need = runShape(run, runtime, config);
  const have = podShape(pod);
  if (!have || sameShape(have, need)) return undefined;
  return { cpuMillis: need.cpuMillis, memoryBytes: need.memoryBytes };
}

/**
 * How well a pool's preload suits a program: 0 when it preloads a module the program imports (the import
 * is then a dictionary lookup), 1 when it preloads nothing, 2 when it preloads only modules the program
 * does not use (their memory would be held for nothing, and refilling such a Pod costs the imports again).
 */
export function preloadRank(preload: readonly string[], imports: ReadonlySet<string>): number {
  if (preload.length === 0) return 1;
  return preload.some((name) => imports.has(name.split('.')[0] ?? name)) ? 0 : 2;
}

/**
 * The top-level modules a Python program imports (`import a.b, c as d`, `from a.b import c`), read
 * line by line. A hint for choosing a pool, never a decision about what may run: a program that hides
 * its imports is served all the same, only perhaps by a Pod that has not preloaded them.
 */
export function pythonImports(source: string): Set<string> {
  const modules = new Set<string>();
  for (const line of source.split('\n')) {
    const from = /^\s*from\s+([A-Za-z_]\w*)/.exec(line);
    if (from?.[1]) {
      modules.add(from[1]);
      continue;
    }
    const plain = /^\s*import\s+(.+)/.exec(line);
    if (!plain?.[1]) continue;
    for (const part of plain[1].split(',')) {
      const name = /^\s*([A-Za-z_]\w*)/.exec(part)?.[1];
      if (name) modules.add(name);
    }
  }
  return modules;
}

/**
 * The same claim on a newer version of the pool Pod, for a claim that met a conflict (client-go's retry on
 * conflict): the kubelet's status writes also change a Pod's version. Undefined when that version is no
 * longer an idle Pod of the same template (another run won it, or it is going away).
 */
export function reclaimed(fresh: V1Pod, claim: V1Pod): V1Pod | undefined {
  const hash = (pod: V1Pod) => pod.metadata?.annotations?.[TEMPLATE_HASH_ANNOTATION];
  if (!isClaimable(fresh) || hash(fresh) !== hash(claim)) return undefined;
  const deadline = claim.spec?.activeDeadlineSeconds;
  const current = fresh.spec?.activeDeadlineSeconds;
  return {
    ...fresh,
    metadata: {
      ...fresh.metadata,
      labels: { ...fresh.metadata?.labels, ...claim.metadata?.labels },
      annotations: { ...fresh.metadata?.annotations, ...claim.metadata?.annotations },
      ownerReferences: claim.metadata?.ownerReferences ?? [],
    },
    spec: {
      ...(fresh.spec as NonNullable<V1Pod['spec']>),
      activeDeadlineSeconds:
        deadline === undefined ? current : current === undefined ? deadline : Math.min(current, deadline),
    },
  };
}

/**
 * The pool Pods this controller tried to claim and lost, by name and version: a Pod another run won stays
 * idle in the informer for a moment, so its version is skipped. A claim can also lose to any newer write
 * (the kubelet's status): the newer version the informer then shows is a candidate again, never skipped.
 */
export class LostClaims {
  private readonly at = new Map<string, number>();

  private static key(pod: V1Pod): string {
    return `${pod.metadata?.namespace}/${pod.metadata?.name}@${pod.metadata?.resourceVersion}`;
  }

  lost(pod: V1Pod, now: number): void {
    this.at.set(LostClaims.key(pod), now);
  }

  has(pod: V1Pod): boolean {
    return this.at.has(LostClaims.key(pod));
  }

  /** Forget versions lost longer ago than maxAgeMs (an informer has long shown what replaced them). */
  prune(now: number, maxAgeMs: number): void {
    for (const [key, at] of this.at) if (now - at > maxAgeMs) this.at.delete(key);
  }
}

/**
 * One candidate for this run. Runs reconciled at the same moment would all race for the first one;
 * spreading them by uid makes most claims succeed at the first try.
 */
export function pickCandidate(candidates: readonly V1Pod[], run: CodeRun): V1Pod | undefined {
  if (candidates.length === 0) return undefined;
  let hash = 0;
  for (const ch of run.metadata.uid) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return candidates[hash % candidates.length];
}

export function poolSelector(pool: SandboxPool): string {
  return `${LABELS.managedBy}=${MANAGED_BY},${LABELS.component}=sandbox,${LABELS.pool}=${pool.metadata.name},${LABELS.state}=idle`;
}

export interface PoolPlan {
  /** New idle Pods to create. */
  create: number;
  /**
   * Idle Pods to delete: surplus, past their idle age, or whose runner ended. Each carries the
   * resourceVersion it was decided on: a Pod claimed since (by this or another controller) has a newer one,
   * and the delete's precondition then refuses to take it from its run.
   */
  remove: { name: string; resourceVersion: string | undefined; why: string }[];
  status: SandboxPoolStatus;
  /** When to look again even if nothing changes (the next idle Pod to age out). */
  recheckAfterMs: number | undefined;
}

function ageMs(pod: V1Pod, now: Date): number {
  const created = pod.metadata?.creationTimestamp;
  return created ? now.getTime() - new Date(created).getTime() : 0;
}

/**
 * What the pool needs: the pods of this pool (idle and claimed), the template hash its Pods should carry
 * and how long a Pod may take to start in, creations, deletions and status out.
 */
export function planPool(
  pool: SandboxPool,
  pods: readonly V1Pod[],
  templateHash: string,
  now: Date,
  startTimeoutSeconds: number,
): PoolPlan {
  const maxIdleMs = pool.spec.maxIdleSeconds * 1000;
  const startTimeoutMs = startTimeoutSeconds * 1000;
  const idle = pods.filter(isIdle);
  const remove: PoolPlan['remove'] = [];
  const live: V1Pod[] = [];
  const removal = (pod: V1Pod, why: string) => ({
    name: pod.metadata?.name ?? '',
    resourceVersion: pod.metadata?.resourceVersion,
    why,
  });
  for (const pod of idle) {
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') remove.push(removal(pod, `its runner ended (${phase})`));
    else if (ageMs(pod, now) >= maxIdleMs) remove.push(removal(pod, 'idle past maxIdleSeconds'));
    else if (pod.metadata?.annotations?.[TEMPLATE_HASH_ANNOTATION] !== templateHash)
      remove.push(removal(pod, 'built from an older template'));
    // A sandbox the node cannot start (seen here: one whose creation a containerd restart cut short,
    // which the kubelet then tries to kill and re-create forever) would hold its place in the pool.
    else if (!isClaimable(pod) && ageMs(pod, now) >= startTimeoutMs)
      remove.push(removal(pod, `not ready within ${startTimeoutSeconds} s of its creation`));
    else live.push(pod);
  }
  const desired = pool.metadata.deletionTimestamp ? 0 : pool.spec.replicas;
  // Surplus: not-ready Pods go first (they cost a start), then the oldest.
  const surplus = [...live]
    .sort((a, b) => Number(isClaimable(a)) - Number(isClaimable(b)) || ageMs(b, now) - ageMs(a, now))
    .slice(0, Math.max(0, live.length - desired));
  for (const pod of surplus) remove.push(removal(pod, 'more idle Pods than replicas'));
  const kept = live.filter((p) => !surplus.includes(p));
  const ready = kept.filter(isClaimable).length;
  const claimed = pods.filter(
    (p) => p.metadata?.labels?.[LABELS.state] === 'claimed' && !p.metadata?.deletionTimestamp,
  ).length;
  const message =
    ready >= desired
      ? `${ready} of ${desired} idle sandbox Pods ready`
      : `${ready} of ${desired} idle sandbox Pods ready; ${kept.length - ready} starting`;
  const conditions = setCondition(
    pool.status?.conditions,
    {
      type: POOL_CONDITION_TYPE,
      status: ready >= desired ? 'True' : 'False',
      reason: (ready >= desired ? 'PoolReady' : 'PoolFilling') satisfies PoolConditionReason,
      message,
      observedGeneration: pool.metadata.generation ?? 1,
    },
    now,
  );
  const oldest = Math.max(0, ...kept.map((p) => ageMs(p, now)));
  // A Pod still starting is looked at again when its start time is up.
  const startDue = kept.filter((p) => !isClaimable(p)).map((p) => startTimeoutMs - ageMs(p, now));
  return {
    create: Math.max(0, desired - kept.length),
    remove,
    status: {
      replicas: kept.length,
      readyReplicas: ready,
      claimed,
      selector: poolSelector(pool),
      conditions,
      observedGeneration: pool.metadata.generation ?? 1,
    },
    recheckAfterMs: kept.length ? Math.max(1000, Math.min(maxIdleMs - oldest, ...startDue)) : undefined,
  };
}
