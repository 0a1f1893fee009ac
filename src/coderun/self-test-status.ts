// The published result of the isolation self-test: a ConfigMap in the operator's namespace that the
// controller writes after every probe and the API reads when its readiness requires a pass. Its data is a
// metav1.Condition, flattened (type, status, reason, message, lastTransitionTime), plus what the probe saw.
// A ConfigMap, because the verdict is about the installation, not about any one object the operator owns;
// it outlives controller restarts and leader changes, and `kubectl get configmap` shows it. Pure.

/** Set this annotation on the ConfigMap to a new value (e.g. the time) to ask for a self-test now. */
export const SELF_TEST_REQUEST_ANNOTATION = 'coderun.dev/self-test-requested';
export const SELF_TEST_CONDITION_TYPE = 'IsolationVerified';
/** Passed; ChecksFailed (the probe ran and saw a hole); ProbeFailed (it did not run to the end). */
export type SelfTestReason = 'Passed' | 'ChecksFailed' | 'ProbeFailed';

export interface SelfTestOutcome {
  passed: boolean;
  reason: SelfTestReason;
  message: string;
  checks: readonly { name: string; passed: boolean; detail: string; fix?: string }[];
}

/** The ConfigMap's data after a probe; the transition time is kept while the status stays the same. */
export function selfTestData(
  previous: Record<string, string> | undefined,
  outcome: SelfTestOutcome,
  details: { probeRun: string; now: Date; handledRequest?: string | undefined },
): Record<string, string> {
  const status = outcome.passed ? 'True' : 'False';
  const now = details.now.toISOString();
  const handledRequest = details.handledRequest ?? previous?.handledRequest;
  return {
    type: SELF_TEST_CONDITION_TYPE,
    status,
    reason: outcome.reason,
    message: outcome.message,
    lastTransitionTime:
      previous?.status === status && previous.lastTransitionTime ? previous.lastTransitionTime : now,
    lastProbeTime: now,
    probeRun: details.probeRun,
    checks: JSON.stringify(outcome.checks),
    ...(handledRequest ? { handledRequest } : {}),
  };
}

/** Whether the latest published self-test passed, and if not, what to tell whoever asks. */
export function selfTestPassed(data: Record<string, string> | undefined): { ok: boolean; detail: string } {
  if (!data?.status) return { ok: false, detail: 'the isolation self-test has not published a result yet' };
  if (data.status === 'True')
    return { ok: true, detail: `isolation self-test passed at ${data.lastProbeTime}` };
  return { ok: false, detail: data.message || `the isolation self-test failed (${data.reason})` };
}
