// Readiness that requires the isolation self-test (CODERUN_REQUIRE_SELF_TEST): the API reads the latest
// result the controller published in its ConfigMap and stays unready while it failed or is missing.
import type { Logger } from 'pino';
import { selfTestPassed } from '../coderun/self-test-status.ts';
import { apiErrorMessage, isNotFound, type KubeClients } from '../kube/client.ts';

export type ReadinessVerdict = { ok: boolean; detail?: string };

/** A readiness check that reads the ConfigMap at most once per `cacheMs`, as probes may come often. */
export function selfTestGate(
  kube: KubeClients,
  where: { namespace: string; name: string },
  log: Logger,
  cacheMs = 5000,
): () => Promise<ReadinessVerdict> {
  let last: { at: number; verdict: ReadinessVerdict } | undefined;
  return async () => {
    if (last && Date.now() - last.at < cacheMs) return last.verdict;
    let verdict: ReadinessVerdict;
    try {
      verdict = selfTestPassed((await kube.core.readNamespacedConfigMap(where)).data);
    } catch (err) {
      verdict = isNotFound(err)
        ? selfTestPassed(undefined)
        : { ok: false, detail: `cannot read the isolation self-test result: ${apiErrorMessage(err)}` };
    }
    if (!verdict.ok)
      verdict = { ok: false, detail: `${verdict.detail} (ConfigMap ${where.namespace}/${where.name})` };
    if (verdict.ok !== last?.verdict.ok)
      log[verdict.ok ? 'info' : 'warn']({ detail: verdict.detail }, 'readiness: isolation self-test');
    last = { at: Date.now(), verdict };
    return verdict;
  };
}
