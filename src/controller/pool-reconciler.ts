// Keeps each SandboxPool at its size: creates idle Pods, deletes surplus and aged ones, writes the status.
// The decisions are planPool's (warm-pool.ts); this file only carries them out.
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import {
  POOL_CONDITION_TYPE,
  POOL_KIND,
  POOL_PLURAL,
  type PoolConditionReason,
  type SandboxPool,
  type SandboxPoolStatus,
} from '../coderun/sandbox-pool.ts';
import { API_VERSION, GROUP, VERSION } from '../coderun/schema.ts';
import type { ControllerConfig } from '../config/controller.ts';
import {
  apiErrorMessage,
  isConflict,
  isCreateConflict,
  isNotFound,
  type KubeClients,
} from '../kube/client.ts';
import { type EventRecorder, involvedObjectOf } from '../kube/events.ts';
import { type RuntimeSource, unknownRuntimeMessage } from '../runtimes/catalog.ts';
import { buildPoolPod, LABELS, TEMPLATE_HASH_ANNOTATION } from './sandbox-pod.ts';
import { statusChanged } from './status.ts';
import { type PoolPlan, planPool, poolShape } from './warm-pool.ts';

// A Pod we created shows up in the informer a moment later; until then it still counts, so a second
// reconcile in that moment does not create it again (the ReplicaSet controller's "expectations").
const EXPECT_CREATED_MS = 30_000;

export class PoolReconciler {
  private readonly kube: KubeClients;
  private readonly config: ControllerConfig;
  private readonly events: EventRecorder;
  private readonly runtimes: RuntimeSource;
  private readonly log: Logger;
  /** Pool key → Pods created and not yet seen in the informer, with their creation time. */
  private readonly created = new Map<string, Map<string, { pod: V1Pod; at: number }>>();

  constructor(opts: {
    kube: KubeClients;
    config: ControllerConfig;
    events: EventRecorder;
    runtimes: RuntimeSource;
    log: Logger;
  }) {
    this.kube = opts.kube;
    this.runtimes = opts.runtimes;
    this.config = opts.config;
    this.events = opts.events;
    this.log = opts.log.child({ component: 'pools' });
  }

  /** Converges one pool; returns when to look again (ms), if ever. */
  async reconcile(pool: SandboxPool, cached: readonly V1Pod[]): Promise<number | undefined> {
    const key = `${pool.metadata.namespace}/${pool.metadata.name}`;
    const pods = this.withExpected(key, pool, cached);
    const runtimes = this.runtimes.current();
    const runtime = runtimes.resolve(pool.spec.language);
    if (!runtime) {
      // No run can name what is not registered either: the pool keeps no Pods until its runtime exists.
      const message = `spec.language: ${unknownRuntimeMessage(pool.spec.language, runtimes)}`;
      const emptied = planPool(
        { ...pool, spec: { ...pool.spec, replicas: 0 } },
        pods,
        '',
        new Date(),
        this.config.startTimeoutSeconds,
      );
      await this.remove(key, pool, emptied.remove);
      await this.writeStatus(pool, emptied.status, { reason: 'RuntimeNotFound', message });
      return undefined;
    }
    const template = buildPoolPod(pool, poolShape(pool, runtime, this.config), this.config);
    const hash = template.metadata?.annotations?.[TEMPLATE_HASH_ANNOTATION] ?? '';
    const plan = planPool(pool, pods, hash, new Date(), this.config.startTimeoutSeconds);
    await this.remove(key, pool, plan.remove);
    let refused: string | undefined;
    let conflicted = false;
    for (let i = 0; i < plan.create && !refused; i++) {
      try {
        const pod = await this.kube.core.createNamespacedPod({
          namespace: pool.metadata.namespace,
          body: template,
        });
        this.expect(key, pod);
      } catch (err) {
        // Lost a race on the quota's usage: nothing was created; the next reconcile, shortly, tries again.
        if (isCreateConflict(err)) {
          conflicted = true;
          break;
        }
        // Quota, admission or a missing RuntimeClass: retrying at once cannot help; say so on the pool.
        refused = apiErrorMessage(err);
        this.log.warn({ pool: key, err: refused }, 'cannot create pool Pod');
        await this.events.record(involvedObjectOf(pool), 'Warning', 'PodCreateFailed', refused);
      }
    }
    if (plan.create > 0 && !refused && !conflicted)
      this.log.info({ pool: key, created: plan.create }, 'refilled pool');
    await this.writeStatus(
      pool,
      plan.status,
      refused === undefined ? undefined : { reason: 'PodCreateFailed', message: refused },
    );
    if (refused) return 10_000;
    return conflicted ? 200 : plan.recheckAfterMs;
  }

  private async remove(key: string, pool: SandboxPool, remove: PoolPlan['remove']): Promise<void> {
    for (const { name, resourceVersion, why } of remove) {
      try {
        await this.kube.core.deleteNamespacedPod({
          namespace: pool.metadata.namespace,
          name,
          gracePeriodSeconds: 0,
          body: { preconditions: { resourceVersion } },
        });
        this.log.info({ pool: key, pod: name, why }, 'deleted idle pool Pod');
      } catch (err) {
        // 409: the Pod changed since the cache saw it idle (a run claimed it); the next reconcile looks again.
        if (isConflict(err)) this.log.debug({ pool: key, pod: name }, 'pool Pod changed; not deleted');
        else if (!isNotFound(err)) throw err;
      }
    }
  }

  /** Forgets a pool that no longer exists. */
  forget(key: string): void {
    this.created.delete(key);
  }

  private withExpected(key: string, pool: SandboxPool, cached: readonly V1Pod[]): V1Pod[] {
    const mine = cached.filter(
      (p) =>
        p.metadata?.namespace === pool.metadata.namespace &&
        p.metadata?.labels?.[LABELS.pool] === pool.metadata.name,
    );
    const expected = this.created.get(key);
    if (!expected) return mine;
    const seen = new Set(mine.map((p) => p.metadata?.name));
    const now = Date.now();
    for (const [name, entry] of expected) {
      if (seen.has(name) || now - entry.at > EXPECT_CREATED_MS) expected.delete(name);
    }
    return [...mine, ...[...expected.values()].map((e) => e.pod)];
  }

  private expect(key: string, pod: V1Pod): void {
    const name = pod.metadata?.name;
    if (!name) return;
    let expected = this.created.get(key);
    if (!expected) {
      expected = new Map();
      this.created.set(key, expected);
    }
    expected.set(name, { pod, at: Date.now() });
  }

  /** Writes the plan's status; `failure` overrides its Ready condition. */
  private async writeStatus(
    pool: SandboxPool,
    next: SandboxPoolStatus,
    failure: { reason: PoolConditionReason; message: string } | undefined,
  ) {
    const status = failure
      ? {
          ...next,
          conditions: next.conditions?.map((c) =>
            c.type === POOL_CONDITION_TYPE
              ? {
                  ...c,
                  status: 'False' as const,
                  reason: failure.reason,
                  message: failure.message.slice(0, 32_768),
                }
              : c,
          ),
        }
      : next;
    if (!statusChanged(pool.status, status)) return;
    try {
      await this.kube.custom.replaceNamespacedCustomObjectStatus({
        group: GROUP,
        version: VERSION,
        namespace: pool.metadata.namespace,
        plural: POOL_PLURAL,
        name: pool.metadata.name,
        body: { apiVersion: API_VERSION, kind: POOL_KIND, metadata: pool.metadata, status },
      });
    } catch (err) {
      // A newer pool is on its way through the informer, and with it another reconcile.
      if (isConflict(err) || isNotFound(err)) return;
      throw err;
    }
  }
}
