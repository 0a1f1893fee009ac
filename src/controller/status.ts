// Status transitions of a CodeRun: pure functions from the old status to the new one.
import type {
  CodeRun,
  CodeRunStatus,
  Condition,
  ConditionReason,
  ConditionType,
  Reason,
} from '../coderun/schema.ts';
import type { PolicyFinding } from '../policy/types.ts';
import type { Outcome } from './outcome.ts';

/** Sets one condition, keeping lastTransitionTime when the status did not change (metav1.Condition rules). */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: Omit<Condition, 'lastTransitionTime'>,
  now: Date,
): Condition[] {
  const current = (conditions ?? []).find((c) => c.type === next.type);
  const lastTransitionTime =
    current && current.status === next.status
      ? current.lastTransitionTime
      : now.toISOString().replace(/\.\d+Z$/, 'Z');
  return [...(conditions ?? []).filter((c) => c.type !== next.type), { ...next, lastTransitionTime }];
}

function base(run: CodeRun): CodeRunStatus {
  return { ...(run.status ?? {}), observedGeneration: run.metadata.generation ?? 1 };
}

function condition(run: CodeRun, type: ConditionType, ok: boolean, reason: ConditionReason, message: string) {
  return {
    type,
    status: ok ? 'True' : 'False',
    reason,
    message,
    observedGeneration: run.metadata.generation ?? 1,
  } as const;
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

export function rejectedStatus(
  run: CodeRun,
  reason: Extract<Reason, 'PolicyRejected' | 'Rejected' | 'RuntimeNotFound'>,
  message: string,
  findings: PolicyFinding[],
  now: Date,
): CodeRunStatus {
  const status = base(run);
  let conditions = setCondition(status.conditions, condition(run, 'Accepted', false, reason, message), now);
  conditions = setCondition(conditions, condition(run, 'Failed', true, reason, message), now);
  return {
    ...status,
    phase: 'Failed',
    reason,
    message,
    conditions,
    completionTime: rfc3339(now),
    ...(findings.length ? { policyFindings: findings } : {}),
  };
}

export function podCreatedStatus(
  run: CodeRun,
  podName: string,
  now: Date,
  sandbox: 'warm' | 'cold',
): CodeRunStatus {
  const status = base(run);
  const message =
    sandbox === 'warm' ? `pre-started sandbox Pod ${podName} claimed` : `sandbox Pod ${podName} created`;
  return {
    ...status,
    phase: 'Pending',
    reason: 'PodCreated',
    message,
    podName,
    sandbox,
    conditions: setCondition(status.conditions, condition(run, 'Accepted', true, 'PodCreated', message), now),
  };
}

/** Back to Pending without a Pod: the next reconcile claims or creates a fresh sandbox. */
export function retryStatus(run: CodeRun, retries: number, message: string, now: Date): CodeRunStatus {
  const { podName: _p, sandbox: _s, startTime: _t, ...status } = base(run);
  return {
    ...status,
    phase: 'Pending',
    reason: 'Accepted',
    message,
    sandboxRetries: retries,
    conditions: setCondition(
      status.conditions,
      condition(run, 'Started', false, 'SandboxRetried', message),
      now,
    ),
  };
}

export function startedStatus(run: CodeRun, startedAt: Date, now: Date): CodeRunStatus {
  const status = base(run);
  const message = 'the sandbox is running the program';
  return {
    ...status,
    phase: 'Running',
    reason: 'Started',
    message,
    startTime: status.startTime ?? rfc3339(startedAt),
    conditions: setCondition(status.conditions, condition(run, 'Started', true, 'Started', message), now),
  };
}

export function finishedStatus(run: CodeRun, outcome: Outcome, now: Date): CodeRunStatus {
  const status = base(run);
  const ok = outcome.phase === 'Succeeded';
  const conditions = setCondition(
    status.conditions,
    condition(run, ok ? 'Complete' : 'Failed', true, outcome.reason, outcome.message),
    now,
  );
  const { phase, reason, message, ...fields } = outcome;
  return {
    ...status,
    ...fields,
    phase,
    reason,
    message,
    conditions,
    completionTime: rfc3339(now),
  };
}

/**
 * True when writing `next` would change what the API server holds, ignoring condition timestamps and
 * the order of keys (the API server need not keep ours): a status write no one needs is a write to etcd
 * and an event to every watcher.
 */
export function statusChanged<T extends { conditions?: Condition[] }>(
  current: T | undefined,
  next: T,
): boolean {
  const strip = (s: T | undefined) =>
    canonical({ ...s, conditions: s?.conditions?.map(({ lastTransitionTime: _, ...c }) => c) });
  return strip(current) !== strip(next);
}

/** JSON with object keys sorted, so equal values give equal text. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}
