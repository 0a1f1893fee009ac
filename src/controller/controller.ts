// The CodeRun controller: informers feed a work queue; each key is reconciled by `decide` (pure) and the
// steps it returns are carried out here. Beside it: the attach sessions and the runner reports they bring
// (sandbox-sessions.ts), the artifact fetches (artifact-jobs.ts) and the pools (pool-reconciler.ts). All
// state that matters lives in the cluster; the reports of live sessions, the only memory, are replaced by
// the Pod log after a restart.
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { artifactStoreFrom } from '../artifacts/s3-store.ts';
import type { ArtifactStore } from '../artifacts/store.ts';
import { CodeRunClient } from '../coderun/client.ts';
import { POOL_PLURAL, type SandboxPool } from '../coderun/sandbox-pool.ts';
import type { SandboxRuntime } from '../coderun/sandbox-runtime.ts';
import { type CodeRun, GROUP, isTerminal, KIND, PLURAL, VERSION } from '../coderun/schema.ts';
import type { ControllerConfig } from '../config/controller.ts';
import {
  apiErrorMessage,
  isAlreadyExists,
  isConflict,
  isCreateConflict,
  isNotFound,
  type KubeClients,
  statusCode,
} from '../kube/client.ts';
import { EventRecorder, involvedObjectOf } from '../kube/events.ts';
import { type InformerHealth, type ResilientInformer, resilientInformer } from '../kube/informer.ts';
import { serviceLookup } from '../kube/services.ts';
import type { AsyncCodePolicy, PolicyVerdict } from '../policy/types.ts';
import { RuntimeCache } from '../runtimes/cache.ts';
import { builtinRuntimes, type RuntimeSet } from '../runtimes/catalog.ts';
import { buildJob, encodeJobLine } from '../runtimes/protocol.ts';
import { ArtifactJobs } from './artifact-jobs.ts';
import { ControllerMetrics, type ReconcileKind } from './metrics.ts';
import { PoolReconciler } from './pool-reconciler.ts';
import { decide, type EventNote, needsPolicyVerdict, type Step } from './reconcile.ts';
import { RunTimelines, stageSeconds } from './run-timeline.ts';
import type { SandboxChannel } from './sandbox-channel.ts';
import { effectiveLimits, LABELS, SANDBOX_SELECTOR, sandboxPodName } from './sandbox-pod.ts';
import { SandboxSessions } from './sandbox-sessions.ts';
import { exemptFromPolicy, PROBE_VERDICT } from './self-test.ts';
import { statusChanged } from './status.ts';
import { claimCandidates, LostClaims, pickCandidate, reclaimed } from './warm-pool.ts';
import { WorkQueue } from './work-queue.ts';

export interface ControllerDeps {
  kube: KubeClients;
  config: ControllerConfig;
  policy: AsyncCodePolicy;
  channel: SandboxChannel;
  log: Logger;
  /** Parallel reconciles; one key is never reconciled twice at once. */
  concurrency?: number;
  /** Where the controller counts what it does; a fresh registry when not given. */
  metrics?: ControllerMetrics;
  /** Where artifacts go; by default the store `config.artifacts` names (null: none). */
  store?: ArtifactStore | null;
}

const POOL_KEY_PREFIX = 'pool:';

/** The Pod is the run's own: its controller owner is the run, by uid. */
const ownedBy = (pod: V1Pod, run: CodeRun) =>
  pod.metadata?.ownerReferences?.some((o) => o.controller && o.uid === run.metadata.uid) ?? false;
// How long a lost claim's Pod version is remembered (pruned at the resync).
const LOST_CLAIM_MS = 60_000;
// Writes of one claim, when newer versions of a still idle Pod keep meeting it with a conflict.
const CLAIM_ATTEMPTS = 3;

/** API refusals that a retry cannot change: forbidden by admission or quota, or an invalid Pod. */
function isPermanentRefusal(err: unknown): boolean {
  const code = statusCode(err);
  return code === 400 || code === 403 || code === 422;
}

export class CodeRunController {
  private readonly deps: ControllerDeps;
  private readonly runs: CodeRunClient;
  private readonly events: EventRecorder;
  private readonly queue: WorkQueue;
  private readonly log: Logger;
  private informers: ResilientInformer<CodeRun | V1Pod | SandboxPool | SandboxRuntime>[] = [];
  private runInformers: ResilientInformer<CodeRun>[] = [];
  private podInformers: ResilientInformer<V1Pod>[] = [];
  private poolInformers: ResilientInformer<SandboxPool>[] = [];
  private readonly pools: PoolReconciler;
  /** The SandboxRuntimes (or the built-in ones while none is registered): image, program file, size, policy. */
  private readonly runtimes: RuntimeCache;
  /** Pool Pod versions whose claim this process lost recently, so the next pick skips them (LostClaims). */
  private readonly lostClaims = new LostClaims();
  /** Run uid → the pool Pod this process claimed for it, until the informer shows the claim. */
  private readonly claims = new Map<string, string>();
  /** Run uid → this process's last status write: the resourceVersion it replaced and what it got back. */
  private readonly written = new Map<string, { replaced: string | undefined; run: CodeRun }>();
  /** Run uid → why the API server refused its sandbox Pod for good (decide() fails the run with it). */
  private readonly createRefusals = new Map<string, string>();
  /** Runs whose claimed Pod the API server refused to resize (quota, QoS), by uid: they move on. */
  private readonly resizeRefusals = new Map<string, string>();
  private resync: NodeJS.Timeout | undefined;
  /** Run uid → reconciles of it that failed in a row. */
  private readonly failures = new Map<string, number>();
  /** Run uid → when this process passed each step of the run (run-timeline.ts), for the stage metrics. */
  private readonly timelines = new RunTimelines();
  /** Run uid → this process's fetch of its artifacts, and the attempts that failed. */
  private readonly artifacts: ArtifactJobs;
  /** Attaches to sandboxes and the runner reports they bring back. */
  private readonly sessions: SandboxSessions;
  private started = false;
  /** Events being written in the background. */
  private readonly pendingEvents = new Set<Promise<void>>();
  readonly metrics: ControllerMetrics;

  constructor(deps: ControllerDeps) {
    this.deps = deps;
    this.log = deps.log.child({ component: 'controller' });
    this.runs = new CodeRunClient(deps.kube);
    this.events = new EventRecorder(deps.kube, 'coderun-controller', this.log);
    this.metrics = deps.metrics ?? new ControllerMetrics();
    this.sessions = new SandboxSessions({ channel: deps.channel, log: this.log });
    this.artifacts = new ArtifactJobs({
      files: deps.channel,
      store:
        deps.store !== undefined
          ? deps.store
          : artifactStoreFrom(deps.config.artifacts, serviceLookup(deps.kube)),
      config: deps.config,
      log: this.log,
    });
    // Held until every informer has listed: a run decided from a Pod cache still filling looks as if its
    // Pod were gone (after a restart that would fail it as PodDeleted, or claim it a second sandbox).
    this.queue = new WorkQueue(
      (key) => {
        const kind: ReconcileKind = key.startsWith(POOL_KEY_PREFIX) ? 'pool' : 'run';
        const done = this.metrics.reconcileStarted(kind);
        const reconciled =
          kind === 'pool' ? this.reconcilePool(key.slice(POOL_KEY_PREFIX.length)) : this.reconcile(key);
        return reconciled.finally(done);
      },
      deps.concurrency ?? 8,
      { held: true },
    );
    this.metrics.observe({ queueDepth: () => this.queue.depth, pools: () => this.allPools() });
    // A runtime that changes changes its pools' Pods (image, size); runs read it when they get a sandbox.
    this.runtimes = new RuntimeCache({
      kube: deps.kube,
      builtins: builtinRuntimes(deps.config.images),
      log: this.log,
      onChange: () => this.enqueuePools(),
    });
    this.pools = new PoolReconciler({
      kube: deps.kube,
      config: deps.config,
      events: this.events,
      runtimes: this.runtimes,
      log: this.log,
    });
  }

  async start(): Promise<void> {
    const { kube, config } = this.deps;
    const namespaces = config.namespaces.length ? config.namespaces : [undefined];
    for (const ns of namespaces) {
      const runPath = `/apis/${GROUP}/${VERSION}${ns ? `/namespaces/${ns}` : ''}/${PLURAL}`;
      this.runInformers.push(
        resilientInformer<CodeRun>({
          kubeConfig: kube.kubeConfig,
          path: runPath,
          list: () => this.runs.list(ns),
          onChange: (run) => this.queue.add(`${run.metadata.namespace}/${run.metadata.name}`),
          log: this.log,
          what: `coderuns${ns ? ` in ${ns}` : ''}`,
        }),
      );
      this.podInformers.push(
        resilientInformer<V1Pod>({
          kubeConfig: kube.kubeConfig,
          path: ns ? `/api/v1/namespaces/${ns}/pods` : '/api/v1/pods',
          labelSelector: SANDBOX_SELECTOR,
          list: () =>
            ns
              ? kube.core.listNamespacedPod({ namespace: ns, labelSelector: SANDBOX_SELECTOR })
              : kube.core.listPodForAllNamespaces({ labelSelector: SANDBOX_SELECTOR }),
          onChange: (pod) => {
            const owner = pod.metadata?.ownerReferences?.find((o) => o.controller && o.kind === KIND);
            if (owner) this.queue.add(`${pod.metadata?.namespace}/${owner.name}`);
            // A pool's Pods keep its label after a claim, so the pool hears of every claim and deletion.
            const pool = pod.metadata?.labels?.[LABELS.pool];
            if (pool) {
              this.queue.add(`${POOL_KEY_PREFIX}${pod.metadata?.namespace}/${pool}`);
              this.sessions.preopen(pod);
            }
          },
          log: this.log,
          what: `sandbox pods${ns ? ` in ${ns}` : ''}`,
        }),
      );
    }
    for (const ns of namespaces) {
      this.poolInformers.push(
        resilientInformer<SandboxPool>({
          kubeConfig: kube.kubeConfig,
          path: `/apis/${GROUP}/${VERSION}${ns ? `/namespaces/${ns}` : ''}/${POOL_PLURAL}`,
          list: async () =>
            (ns
              ? await kube.custom.listNamespacedCustomObject({
                  group: GROUP,
                  version: VERSION,
                  namespace: ns,
                  plural: POOL_PLURAL,
                })
              : await kube.custom.listClusterCustomObject({
                  group: GROUP,
                  version: VERSION,
                  plural: POOL_PLURAL,
                })) as {
              items: SandboxPool[];
            },
          onChange: (pool) =>
            this.queue.add(`${POOL_KEY_PREFIX}${pool.metadata.namespace}/${pool.metadata.name}`),
          log: this.log,
          what: `sandbox pools${ns ? ` in ${ns}` : ''}`,
        }),
      );
    }
    this.informers = [
      ...this.runInformers,
      ...this.podInformers,
      ...this.poolInformers,
      this.runtimes.informer,
    ];
    this.artifacts.start(
      () => this.runInformers.flatMap((i) => i.list().map((r) => r.metadata.uid)),
      config.namespaces,
    );
    await Promise.all(this.informers.map((i) => i.start()));
    this.queue.release();
    this.started = true;
    this.sessions.start(config.preattach);
    this.sessions.preopenAll(this.allPods());
    // Level-triggered safety net: every known run is looked at again periodically.
    this.resync = setInterval(() => this.enqueueAll(), config.resyncSeconds * 1000);
    this.resync.unref();
    this.log.info({ namespaces: config.namespaces.length ? config.namespaces : 'all' }, 'controller started');
  }

  async stop(): Promise<void> {
    this.sessions.stop();
    if (this.resync) clearInterval(this.resync);
    this.artifacts.stop();
    this.queue.stop();
    await Promise.all(this.informers.map((i) => i.stop()));
    await this.queue.idle();
    await Promise.all(this.pendingEvents);
  }

  /** Whether start() has started every informer; false on a standby that never led. */
  get isStarted(): boolean {
    return this.started;
  }

  /** How each informer is doing, for /readyz and /healthz; empty until this replica leads. */
  informerHealth(): InformerHealth[] {
    return this.informers.map((i) => i.health());
  }

  /** Resolves once no reconcile is queued or running and every Event is written. */
  async idle(): Promise<void> {
    await this.queue.idle();
    await Promise.all(this.pendingEvents);
  }

  /** The resync: every known run is reconciled again, and memory of runs that no longer exist is dropped. */
  private enqueueAll(): void {
    this.enqueuePools();
    this.sessions.preopenAll(this.allPods());
    const now = Date.now();
    this.lostClaims.prune(now, LOST_CLAIM_MS);
    const live = new Set<string>();
    for (const informer of this.runInformers) {
      for (const run of informer.list()) {
        live.add(run.metadata.uid);
        this.queue.add(`${run.metadata.namespace}/${run.metadata.name}`);
      }
    }
    for (const uid of new Set([
      ...this.sessions.runs(),
      ...this.claims.keys(),
      ...this.timelines.keys(),
      ...this.written.keys(),
      ...this.artifacts.runs(),
    ])) {
      if (!live.has(uid)) this.forget(uid);
    }
  }

  private enqueuePools(): void {
    for (const informer of this.poolInformers) {
      for (const pool of informer.list())
        this.queue.add(`${POOL_KEY_PREFIX}${pool.metadata.namespace}/${pool.metadata.name}`);
    }
  }

  /**
   * The run from the cache, or the object this process's last status write got back while the cache still
   * shows the version that write replaced: deciding from that older copy would make the next write meet a
   * 409 and wait for the watch (a warm run's outcome written just after its Running status did).
   */
  private findRun(namespace: string, name: string): CodeRun | undefined {
    let cached: CodeRun | undefined;
    for (const informer of this.runInformers) cached ??= informer.get(name, namespace);
    if (!cached) return undefined;
    const mine = this.written.get(cached.metadata.uid);
    if (mine && cached.metadata.resourceVersion === mine.replaced) return mine.run;
    this.written.delete(cached.metadata.uid);
    return cached;
  }

  /**
   * The Pod of that name from the cache, when the cache can be trusted to hold it: a run that has no Pod
   * named in its status and none created or claimed by this process has none yet (which spares every new
   * run a GET that answers 404). Otherwise a Pod missing from the cache, or not yet shown as the run's, may
   * be lag (our own create or claim moments ago, or a cache still filling after a restart): the API server
   * is asked.
   */
  private async findPod(namespace: string, name: string, run: CodeRun): Promise<V1Pod | null> {
    let cached: V1Pod | undefined;
    for (const informer of this.podInformers) {
      cached ??= informer.get(name, namespace);
    }
    const requested = this.timelines.get(run.metadata.uid)?.marks.requested !== undefined;
    const expected = requested || run.status?.podName !== undefined;
    if (!expected || (cached && ownedBy(cached, run))) return cached ?? null;
    try {
      return await this.deps.kube.core.readNamespacedPod({ namespace, name });
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  private async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const log = this.log.child({ run: key });
    try {
      const run = this.findRun(namespace, name);
      if (!run) return;
      const uid = run.metadata.uid;
      if (!isTerminal(run.status) && !run.metadata.deletionTimestamp) this.timelines.mark(uid, 'seen');
      // A claimed pool Pod keeps its own name: after a restart that lost the status write, it is found
      // by the run's uid label.
      const podName =
        run.status?.podName ??
        this.claims.get(uid) ??
        this.claimedPodName(namespace, uid) ??
        sandboxPodName(name);
      const found = await this.findPod(namespace, podName, run);
      const owned = found !== null && ownedBy(found, run);
      const pod = owned ? found : null;
      const runtimes = this.runtimes.current();
      const verdict = needsPolicyVerdict(run, pod) ? await this.verdict(run, runtimes) : undefined;
      const warmPod = verdict?.allowed && !found ? this.warmCandidate(run, runtimes) : undefined;
      const steps = decide(
        {
          run,
          runtimes,
          pod,
          stalePod: found !== null && !owned,
          report: this.sessions.report(uid),
          sessionActive: this.sessions.active(uid),
          verdict,
          warmPod,
          podCreateRefused: this.createRefusals.get(uid),
          podResizeRefused: this.resizeRefusals.get(uid),
          artifacts: this.artifacts.state(uid),
          now: new Date(),
        },
        { config: this.deps.config },
      );
      await this.execute(run, steps, key, log);
      this.failures.delete(key);
    } catch (err) {
      this.retryLater(key, 'run', err, log);
    }
  }

  private async reconcilePool(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const pool = this.poolInformers.map((i) => i.get(name, namespace)).find(Boolean);
    if (!pool) {
      this.pools.forget(key);
      return;
    }
    const queueKey = `${POOL_KEY_PREFIX}${key}`;
    try {
      const recheck = await this.pools.reconcile(pool, this.allPods());
      if (recheck !== undefined) this.queue.addAfter(queueKey, recheck);
      this.failures.delete(queueKey);
    } catch (err) {
      this.retryLater(queueKey, 'pool', err, this.log.child({ pool: key }));
    }
  }

  /** A failed reconcile comes back with capped exponential backoff, per key. */
  private retryLater(queueKey: string, kind: ReconcileKind, err: unknown, log: Logger): void {
    this.metrics.reconcileFailed(kind);
    const attempt = (this.failures.get(queueKey) ?? 0) + 1;
    this.failures.set(queueKey, attempt);
    const delay = Math.min(30_000, 250 * 2 ** attempt);
    log.warn(
      { err: apiErrorMessage(err), retryInMs: delay },
      kind === 'pool' ? 'pool reconcile failed' : 'reconcile failed',
    );
    this.queue.addAfter(queueKey, delay);
  }

  private allPods(): V1Pod[] {
    return this.podInformers.flatMap((i) => i.list() as V1Pod[]);
  }

  private allPools(): SandboxPool[] {
    return this.poolInformers.flatMap((i) => i.list() as SandboxPool[]);
  }

  /** The pool Pod carrying this run's uid, if the informer has seen the claim. */
  private claimedPodName(namespace: string, uid: string): string | undefined {
    return this.allPods().find(
      (p) => p.metadata?.namespace === namespace && p.metadata?.labels?.[LABELS.runUid] === uid,
    )?.metadata?.name;
  }

  /**
   * The policy's verdict on the run's program, by its runtime's policy; undefined when no runtime runs it
   * (decide() refuses the run). The controller's own isolation probe is the one program the policy does not
   * judge (self-test.ts).
   */
  private async verdict(run: CodeRun, runtimes: RuntimeSet): Promise<PolicyVerdict | undefined> {
    const runtime = runtimes.resolve(run.spec.language);
    if (!runtime) return undefined;
    if (exemptFromPolicy(run)) return PROBE_VERDICT;
    if (!runtime.policy) return { allowed: true, findings: [] };
    return this.deps.policy(runtime.policy, run.spec.source);
  }

  private warmCandidate(run: CodeRun, runtimes: RuntimeSet): V1Pod | undefined {
    const pools = this.allPools();
    if (pools.length === 0) return undefined;
    const candidates = claimCandidates(run, pools, this.allPods(), this.deps.config, runtimes).filter(
      (p) => !this.lostClaims.has(p),
    );
    return pickCandidate(candidates, run);
  }

  /**
   * Writes the claim on a pool Pod. A conflict that only a newer write to a still idle Pod caused (the
   * kubelet's status) is retried on that version, a few times; any other refusal is the caller's.
   */
  private async claim(namespace: string, claim: V1Pod): Promise<void> {
    const name = claim.metadata?.name ?? '';
    let body = claim;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deps.kube.core.replaceNamespacedPod({ namespace, name, body });
        return;
      } catch (err) {
        if (!isConflict(err) || attempt >= CLAIM_ATTEMPTS) throw err;
        const fresh = await this.deps.kube.core.readNamespacedPod({ namespace, name }).catch(() => undefined);
        const again = fresh && reclaimed(fresh, claim);
        if (!again) throw err;
        body = again;
      }
    }
  }

  private async execute(run: CodeRun, steps: Step[], key: string, log: Logger): Promise<void> {
    const { kube } = this.deps;
    const namespace = run.metadata.namespace;
    let current = run;
    for (const step of steps) {
      switch (step.do) {
        case 'claimPod': {
          const podName = step.pod.metadata?.name ?? '';
          // Taken before the claim: the informer may report the claimed Pod before the reply, and an
          // attach left among the idle ones would then be closed.
          const preopened = this.sessions.takePreopened(namespace, podName);
          this.timelines.mark(run.metadata.uid, 'requested', 'warm');
          try {
            await this.claim(namespace, step.pod);
            preopened.claimed(run.metadata.uid);
          } catch (err) {
            preopened.lost();
            // Another run won it (409), or it is gone: pick again at once, without this Pod.
            if (!isConflict(err) && !isNotFound(err) && !isPermanentRefusal(err)) throw err;
            this.lostClaims.lost(step.pod, Date.now());
            log.info(
              { pod: podName, err: apiErrorMessage(err) },
              'lost the claim on a pool Pod; choosing again',
            );
            this.queue.addAfter(key, 0);
            return;
          }
          this.claims.set(run.metadata.uid, podName);
          this.timelines.mark(run.metadata.uid, 'ready');
          log.info({ pod: podName }, 'claimed pool pod');
          break;
        }
        case 'resizePod':
          try {
            // Only while the Pod is still this run's: the test fails the patch otherwise.
            const body = [
              {
                op: 'test',
                path: `/metadata/labels/${LABELS.runUid.replace('/', '~1')}`,
                value: run.metadata.uid,
              },
              { op: 'replace', path: '/spec/containers/0/resources', value: step.resources },
            ];
            await kube.core.patchNamespacedPodResize({ namespace, name: step.podName, body });
            log.info({ pod: step.podName, limits: step.resources.limits }, 'resizing claimed pool pod');
          } catch (err) {
            if (isNotFound(err)) break;
            if (!isPermanentRefusal(err)) throw err;
            // A quota, the Pod's QoS class or validation: no retry helps; decide() moves the run on.
            this.resizeRefusals.set(run.metadata.uid, apiErrorMessage(err));
            this.queue.addAfter(key, 0);
            return;
          }
          break;
        case 'createPod':
          this.timelines.mark(run.metadata.uid, 'requested', 'cold');
          try {
            await kube.core.createNamespacedPod({ namespace, body: step.pod });
            log.info({ pod: step.pod.metadata?.name }, 'created sandbox pod');
          } catch (err) {
            // Already there (an earlier attempt, or a restart): the next reconcile adopts it.
            if (isAlreadyExists(err)) break;
            // Lost a race on the quota's usage: nothing was created; try again shortly.
            if (isCreateConflict(err)) {
              log.info({ err: apiErrorMessage(err) }, 'sandbox Pod create conflicted; retrying');
              this.queue.addAfter(key, 100);
              return;
            }
            if (!isPermanentRefusal(err)) throw err;
            // Retrying cannot help (missing RuntimeClass, quota, policy): decide() fails the run with it.
            this.createRefusals.set(run.metadata.uid, apiErrorMessage(err));
            this.queue.addAfter(key, 0);
            return;
          }
          break;
        case 'writeStatus': {
          if (!statusChanged(current.status, step.status)) break;
          const wasTerminal = isTerminal(current.status);
          if (!wasTerminal && isTerminal(step.status)) this.timelines.mark(run.metadata.uid, 'writing');
          try {
            const replaced = current.metadata.resourceVersion;
            current = await this.runs.replaceStatus(current, step.status);
            this.written.set(run.metadata.uid, { replaced, run: current });
          } catch (err) {
            // Our view was stale; the watch brings the newer object and a fresh decision.
            if (isConflict(err)) {
              this.queue.addAfter(key, 200);
              return;
            }
            if (isNotFound(err)) return;
            throw err;
          }
          if (!wasTerminal && isTerminal(step.status)) {
            this.metrics.runFinished(run.spec.language, step.status);
            const timeline = this.timelines.mark(run.metadata.uid, 'finished');
            this.metrics.runStages(timeline.sandbox, stageSeconds(timeline));
            this.timelines.forget(run.metadata.uid);
          }
          log.info(
            { phase: step.status.phase, reason: step.status.reason },
            step.status.message ?? 'status updated',
          );
          if (step.event) this.recordEvent(current, step.event);
          break;
        }
        case 'deliverJob': {
          const timeline = this.timelines.get(run.metadata.uid);
          const requested = timeline?.marks.requested;
          if (timeline?.sandbox === 'cold' && requested !== undefined && !timeline.marks.ready) {
            const ready = this.timelines.mark(run.metadata.uid, 'ready').marks.ready ?? requested;
            this.metrics.podStarted((ready - requested) / 1000);
          }
          // After a restart the job may have run already: a runner that keeps its sandbox for the artifact
          // fetch prints nothing more, so an attach would wait in vain. The Pod log holds its result if so.
          if (step.afterRestart && (await this.sessions.readLog(current, step.podName, log, true))) {
            this.queue.add(key);
            break;
          }
          this.deliverJob(current, step.podName, key, log);
          break;
        }
        case 'collectArtifacts':
          this.artifacts.collect(current, step, log, (afterMs) => this.queue.addAfter(key, afterMs));
          break;
        case 'recordEvent':
          this.recordEvent(current, step.event);
          break;
        case 'readReport':
          await this.sessions.readLog(current, step.podName, log);
          this.queue.add(key);
          break;
        case 'deletePod':
          try {
            await kube.core.deleteNamespacedPod({ namespace, name: step.podName, gracePeriodSeconds: 0 });
          } catch (err) {
            if (!isNotFound(err)) throw err;
          }
          this.forget(run.metadata.uid);
          break;
        case 'deleteRun':
          try {
            await this.artifacts.deleteRun(run);
            await this.runs.delete(namespace, run.metadata.name);
            log.info('deleted finished run after its TTL');
          } catch (err) {
            if (!isNotFound(err)) throw err;
          }
          this.forget(run.metadata.uid);
          break;
        case 'requeue':
          this.queue.addAfter(key, step.afterMs);
          break;
      }
    }
  }

  /**
   * Records in the background: an Event is best effort and not part of the outcome, so no run waits for
   * its write (a warm run's claim carries one, which would otherwise sit between the job and the result).
   */
  private recordEvent(run: CodeRun, event: EventNote): void {
    const recorded = this.events.record(involvedObjectOf(run), event.type, event.reason, event.message);
    this.pendingEvents.add(recorded);
    void recorded.finally(() => this.pendingEvents.delete(recorded));
  }

  private forget(uid: string): void {
    this.claims.delete(uid);
    this.written.delete(uid);
    this.createRefusals.delete(uid);
    this.resizeRefusals.delete(uid);
    this.timelines.forget(uid);
    this.sessions.forget(uid);
    this.artifacts.forget(uid);
  }

  /** Delivers the job in the background; the delivery's end re-enqueues the run. */
  private deliverJob(run: CodeRun, podName: string, key: string, log: Logger): void {
    const uid = run.metadata.uid;
    const { config } = this.deps;
    const limits = effectiveLimits(run, config);
    // The runner serves its runtime's name; a run applied with kubectl may name it by an alias.
    const language = this.runtimes.current().resolve(run.spec.language)?.name ?? run.spec.language;
    const job = encodeJobLine(
      buildJob(
        { ...run.spec, language },
        limits.timeoutSeconds,
        config.maxOutputBytes,
        config.artifactHoldSeconds,
      ),
    );
    this.sessions.deliver(run, podName, job, {
      budgetMs: (limits.timeoutSeconds + config.deadlineGraceSeconds + config.startTimeoutSeconds) * 1000,
      log,
      attached: () => {
        const sent = this.timelines.get(uid)?.marks.jobSent === undefined;
        const { sandbox, marks } = this.timelines.mark(uid, 'jobSent');
        if (sent && sandbox && marks.requested !== undefined)
          this.metrics.jobDelivered(sandbox, ((marks.jobSent ?? 0) - marks.requested) / 1000);
      },
      failed: () => this.metrics.attachFailed(),
      settled: (afterMs, reported) => {
        if (reported) this.timelines.reported(uid, this.sessions.report(uid).report?.timings);
        this.queue.addAfter(key, afterMs);
      },
    });
  }
}
