// Wires the API server to Kubernetes: the CodeRun client, this replica's run watch, readiness, shutdown.
import type { Logger } from 'pino';
import { artifactStoreFrom } from '../artifacts/s3-store.ts';
import { CodeRunClient } from '../coderun/client.ts';
import { GROUP, PLURAL, VERSION } from '../coderun/schema.ts';
import type { ApiConfig } from '../config/api.ts';
import type { KubeClients } from '../kube/client.ts';
import { serviceLookup } from '../kube/services.ts';
import type { PolicyState } from '../policy/index.ts';
import type { AsyncCodePolicy } from '../policy/types.ts';
import { RuntimeCache } from '../runtimes/cache.ts';
import { builtinRuntimes } from '../runtimes/catalog.ts';
import { createMetrics } from './metrics.ts';
import { RunService, replicaSelector } from './run-service.ts';
import { RunWatcher } from './run-watcher.ts';
import { selfTestGate } from './self-test-gate.ts';
import { buildServer } from './server.ts';

const READINESS_CACHE_MS = 5000;
const WATCH_READY_GRACE_MS = 5000;

export async function startApi(opts: {
  config: ApiConfig;
  kube: KubeClients;
  policy: AsyncCodePolicy;
  /**
   * Resolves once the policy's workers have warmed up; the replica is not ready before, as a cold worker's
   * first checks cost several times a warm one's (docs/performance.md, "The static policy's cost").
   */
  policyWarmedUp?: Promise<void>;
  /** The policy's workers, for /metrics. */
  policyState?: () => PolicyState;
  log: Logger;
}) {
  const { config, kube, log } = opts;
  const runs = new CodeRunClient(kube);
  const watcher = new RunWatcher({
    kube,
    runs,
    namespace: config.namespace,
    labelSelector: replicaSelector(config.replica),
    log,
  });
  const runtimes = new RuntimeCache({ kube, builtins: builtinRuntimes(), log });
  const metrics = createMetrics(() => service.inFlight, opts.policyState);
  const service = new RunService({
    config,
    runs,
    watcher,
    policy: opts.policy,
    log,
    stageDone: (stage, seconds) => metrics.stages.observe({ stage }, seconds),
  });

  let lastProbe = { at: 0, ok: false };
  // A reconnect takes milliseconds; only a watch that stays down this long makes the replica unready.
  const watchUp = (downForMs: number) => {
    const health = watcher.health;
    return health.watching || health.downForMs < downForMs;
  };
  const selfTest = config.requireSelfTest ? selfTestGate(kube, config.requireSelfTest, log) : null;
  let policyWarm = opts.policyWarmedUp === undefined;
  void opts.policyWarmedUp?.then(() => {
    policyWarm = true;
  });
  const ready = async () => {
    if (!policyWarm) return { ok: false, detail: 'the policy checker is warming up' };
    if (Date.now() - lastProbe.at >= READINESS_CACHE_MS) {
      let ok = false;
      try {
        await kube.custom.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: config.namespace,
          plural: PLURAL,
          limit: 1,
        });
        ok = true;
      } catch (err) {
        log.warn({ err: String(err) }, 'readiness probe cannot list CodeRuns');
      }
      lastProbe = { at: Date.now(), ok };
    }
    if (!lastProbe.ok || !watchUp(WATCH_READY_GRACE_MS))
      return { ok: false, detail: 'cannot reach the Kubernetes API or watch CodeRuns' };
    // Requests are validated against the registered runtimes: not before they are known.
    const runtimeCache = runtimes.informer.health();
    if (!runtimeCache.synced)
      return {
        ok: false,
        detail: `cannot list SandboxRuntimes (is the CRD installed?): ${runtimeCache.lastError ?? 'not listed yet'}`,
      };
    return selfTest ? selfTest() : { ok: true };
  };
  // Liveness: a replica whose watch has been down past the bound is wedged (it would answer no run), so
  // Kubernetes restarts it.
  const live = () => {
    if (watchUp(config.watchLivenessSeconds * 1000)) return { ok: true };
    const { downForMs, lastEnd } = watcher.health;
    return {
      ok: false,
      detail: `the CodeRun watch has been down for ${Math.round(downForMs / 1000)} s (last end: ${lastEnd ?? 'never opened'})`,
    };
  };

  const store = artifactStoreFrom(config.artifacts, serviceLookup(kube));
  const app = await buildServer({ config, service, runtimes, store, metrics, ready, live, log });
  await runtimes.start();
  await watcher.start();
  await app.listen({ host: config.host, port: config.port });

  /** Stops accepting, lets in-flight runs finish within the grace period, then cancels the rest. */
  const stop = async () => {
    const grace = setTimeout(() => service.cancelAll(), config.shutdownGraceSeconds * 1000);
    await app.close();
    clearTimeout(grace);
    watcher.stop();
    await runtimes.stop();
  };
  return { app, service, watcher, runtimes, stop };
}
