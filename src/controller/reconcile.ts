// The reconcile decision: what one CodeRun needs next, from what the controller observes. Pure.
import type { V1Pod, V1ResourceRequirements } from '@kubernetes/client-node';
import {
  argumentsBytes,
  type CodeRun,
  type CodeRunStatus,
  type FullOutputRef,
  isTerminal,
  LIMITS,
  type SkippedArtifact,
  type StoredArtifact,
} from '../coderun/schema.ts';
import type { ControllerConfig } from '../config/controller.ts';
import { formatBytes, formatMillicores } from '../kube/quantity.ts';
import type { PolicyFinding, PolicyVerdict } from '../policy/types.ts';
import { type RuntimeSet, unknownRuntimeMessage } from '../runtimes/catalog.ts';
import { type ArtifactPlan, allSkipped, planArtifacts } from './artifact-collector.ts';
import { type Outcome, type ReportState, sandboxState } from './outcome.ts';
import { type FullOutput, previewOutcome } from './output-preview.ts';
import { markForResize, resizedResources, resizeProgress } from './resize.ts';
import {
  buildSandboxPod,
  claimedPod,
  claimedAt as claimTime,
  effectiveLimits,
  LABELS,
  sandboxPodName,
} from './sandbox-pod.ts';
import {
  finishedStatus,
  podCreatedStatus,
  rejectedStatus,
  retryStatus,
  startedStatus,
  statusChanged,
} from './status.ts';
import { sizeToGrow } from './warm-pool.ts';

export interface Observation {
  run: CodeRun;
  /** The runtimes in force: the run's language must name one before it gets a sandbox. */
  runtimes: RuntimeSet;
  /** The run's own sandbox Pod (controller ownerReference with the run's uid), if it exists. */
  pod: V1Pod | null;
  /** A Pod with the run's Pod name exists but belongs to an earlier run of the same name. */
  stalePod: boolean;
  report: ReportState;
  /** An attach session for this Pod is in flight in this process. */
  sessionActive: boolean;
  /** The policy's verdict on the source; checked (off the event loop) only when `needsPolicyVerdict`. */
  verdict: PolicyVerdict | undefined;
  /** An idle, ready Pod of a pool that fits this run exactly (warm-pool.ts), when the run has no Pod yet. */
  warmPod: V1Pod | undefined;
  /**
   * Why the API server refused this run's sandbox Pod in a way no retry changes (a terminal error: a
   * missing RuntimeClass, admission, an invalid Pod), when this process tried and was refused.
   */
  podCreateRefused?: string | undefined;
  /** Why the API server refused to resize the run's claimed pool Pod, when this process tried (resize.ts). */
  podResizeRefused?: string | undefined;
  /** This process's collection of the run's artifacts from its finished sandbox. */
  artifacts: ArtifactState;
  now: Date;
}

export type ArtifactState =
  | { state: 'none' }
  | { state: 'collecting' }
  | { state: 'collected'; stored: StoredArtifact[]; skipped: SkippedArtifact[]; output?: FullOutputRef }
  /** The sandbox could not be read or the store refused, for good; the message says why. */
  | { state: 'failed'; error: string };

/** Whether `decide` may reach the policy: the run is live and has no sandbox Pod yet. */
export function needsPolicyVerdict(run: CodeRun, pod: V1Pod | null): boolean {
  return !run.metadata.deletionTimestamp && !isTerminal(run.status) && !pod && !run.status?.podName;
}

export interface EventNote {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export type Step =
  | { do: 'createPod'; pod: V1Pod }
  /** Take a pool's idle Pod: an update with its resourceVersion, so only one run can ever win it. */
  | { do: 'claimPod'; pod: V1Pod }
  /** Resize a claimed pool Pod in place (the `resize` subresource) to the run's size (resize.ts). */
  | { do: 'resizePod'; podName: string; resources: V1ResourceRequirements }
  | { do: 'writeStatus'; status: CodeRunStatus; event?: EventNote }
  /** Send the job; after a restart the Pod log is read first, since the job may have run already. */
  | { do: 'deliverJob'; podName: string; afterRestart: boolean }
  /**
   * Put what the status will not hold into the artifact store: the files the runner listed (it keeps its
   * sandbox meanwhile) and the whole output when the status keeps only a preview.
   */
  | { do: 'collectArtifacts'; podName: string; plan: ArtifactPlan; output?: FullOutput }
  | { do: 'recordEvent'; event: EventNote }
  | { do: 'readReport'; podName: string }
  | { do: 'deletePod'; podName: string }
  | { do: 'deleteRun' }
  | { do: 'requeue'; afterMs: number };

export interface Decider {
  config: ControllerConfig;
}

/** Why the operator refuses a run before any policy check, or null. */
function validationError(run: CodeRun): string | null {
  const bytes = argumentsBytes(run.spec.arguments);
  if (bytes > LIMITS.argumentsMaxBytes) {
    return `spec.arguments is ${bytes} bytes serialised; the limit is ${LIMITS.argumentsMaxBytes} bytes (256 KiB)`;
  }
  return null;
}

function policyMessage(findings: PolicyFinding[]): string {
  const first = findings[0];
  const more = findings.length > 1 ? ` (and ${findings.length - 1} more)` : '';
  return `the static code policy rejected the program: line ${first?.line}: ${first?.message}${more}`;
}

export function decide(obs: Observation, { config }: Decider): Step[] {
  const { run, pod, now } = obs;
  if (run.metadata.deletionTimestamp) return [];
  if (isTerminal(run.status)) return finishedSteps(obs, config);

  const podName = run.status?.podName ?? sandboxPodName(run.metadata.name);
  if (!pod) {
    if (run.status?.podName) {
      const outcome = {
        phase: 'Failed',
        reason: 'PodDeleted',
        message: `the sandbox Pod ${podName} was deleted before the program finished`,
      } as const;
      return [
        {
          do: 'writeStatus',
          status: finishedStatus(run, outcome, now),
          event: { type: 'Warning', reason: 'PodDeleted', message: outcome.message },
        },
      ];
    }
    // An earlier run of the same name still owns the Pod name; garbage collection will remove it.
    if (obs.stalePod) return [{ do: 'requeue', afterMs: 1000 }];
    const runtime = obs.runtimes.resolve(run.spec.language);
    if (!runtime) {
      // Deleted since the API accepted the run, or never there (kubectl): nothing can run it, so say so.
      const message = `spec.language: ${unknownRuntimeMessage(run.spec.language, obs.runtimes)}`;
      return [
        {
          do: 'writeStatus',
          status: rejectedStatus(run, 'RuntimeNotFound', message, [], now),
          event: { type: 'Warning', reason: 'RuntimeNotFound', message },
        },
      ];
    }
    const invalid = validationError(run);
    if (invalid) {
      return [
        {
          do: 'writeStatus',
          status: rejectedStatus(run, 'Rejected', invalid, [], now),
          event: { type: 'Warning', reason: 'Rejected', message: invalid },
        },
      ];
    }
    const verdict = obs.verdict;
    // The controller checks before deciding whenever needsPolicyVerdict holds; never create unchecked.
    if (!verdict) return [{ do: 'requeue', afterMs: 1000 }];
    if (!verdict.allowed) {
      const message = policyMessage(verdict.findings);
      return [
        {
          do: 'writeStatus',
          status: rejectedStatus(run, 'PolicyRejected', message, verdict.findings, now),
          event: { type: 'Warning', reason: 'PolicyRejected', message },
        },
      ];
    }
    if (obs.warmPod) {
      // Warm: the Pod already runs and its runner waits; claim it and send the job. No status write yet:
      // a warm run usually ends within RUNNING_WRITE_DELAY_MS, and then its outcome is its one status
      // write; a longer one is marked Running when the requeue finds the claimed Pod (by the run's uid).
      // A Pod smaller than the run needs is resized first; the job goes once the kubelet has applied it.
      const grow = sizeToGrow(obs.warmPod, run, runtime, config);
      const claimed = markForResize(claimedPod(obs.warmPod, run, config, now), grow);
      const name = claimed.metadata?.name ?? '';
      const pool = claimed.metadata?.labels?.[LABELS.pool] ?? '';
      const resized = grow
        ? ` and resized it to ${formatMillicores(grow.cpuMillis)} CPU, ${formatBytes(grow.memoryBytes)}`
        : '';
      const claimedEvent: Step = {
        do: 'recordEvent',
        event: {
          type: 'Normal',
          reason: 'Claimed',
          message: `claimed pre-started Pod ${name} of pool ${pool}${resized}`,
        },
      };
      if (grow) {
        return [
          { do: 'claimPod', pod: claimed },
          { do: 'resizePod', podName: name, resources: resizedResources(claimed, grow) },
          claimedEvent,
          { do: 'requeue', afterMs: RESIZE_RECHECK_MS },
        ];
      }
      return [
        { do: 'claimPod', pod: claimed },
        { do: 'deliverJob', podName: name, afterRestart: false },
        claimedEvent,
        { do: 'requeue', afterMs: RUNNING_WRITE_DELAY_MS },
      ];
    }
    if (obs.podCreateRefused !== undefined) {
      const message = `cannot create the sandbox Pod: ${obs.podCreateRefused}`;
      return [
        {
          do: 'writeStatus',
          status: finishedStatus(run, { phase: 'Failed', reason: 'SystemError', message }, now),
          event: { type: 'Warning', reason: 'PodCreateFailed', message },
        },
      ];
    }
    const created = buildSandboxPod(run, runtime, config);
    const name = created.metadata?.name ?? podName;
    return [
      { do: 'createPod', pod: created },
      {
        do: 'writeStatus',
        status: podCreatedStatus(run, name, now, 'cold'),
        event: { type: 'Normal', reason: 'PodCreated', message: `created sandbox Pod ${name}` },
      },
    ];
  }

  const ownName = pod.metadata?.name ?? podName;
  // A sandbox this run already gave up (moved to a fresh one) is still going away: wait for it.
  if (!run.status?.podName && pod.metadata?.deletionTimestamp) return [{ do: 'requeue', afterMs: 500 }];
  const steps: Step[] = [];
  // Adopt a Pod whose status is not written yet: a warm claim (its outcome is usually the first write), or
  // a Pod created before a restart that lost the write. A claimed Pod's program started at the claim.
  const adopted = !run.status?.podName;
  const sandbox = adopted ? adoptedSandbox(pod) : run.status?.sandbox;
  const claimedAt =
    sandbox === 'warm'
      ? run.status?.startTime
        ? new Date(run.status.startTime)
        : claimTime(pod)
      : undefined;
  let status = adopted ? podCreatedStatus(run, ownName, now, adoptedSandbox(pod)) : (run.status ?? {});
  if (adopted && claimedAt) status = startedStatus({ ...run, status }, claimedAt, now);
  const limits = effectiveLimits(run, config);
  // What the sandbox really has: its runtime may have changed (or gone) since the Pod was made.
  const podMemory = pod.spec?.containers?.[0]?.resources?.limits?.memory;
  const view = sandboxState({
    pod,
    ...(claimedAt ? { claimedAt } : {}),
    report: obs.report,
    now,
    timeoutSeconds: limits.timeoutSeconds,
    memoryLimit: podMemory === undefined ? formatBytes(limits.memoryBytes) : String(podMemory),
    maxOutputBytes: config.maxOutputBytes,
    startTimeoutSeconds: config.startTimeoutSeconds,
    deadlineGraceSeconds: config.deadlineGraceSeconds,
  });
  const current = { ...run, status };
  switch (view.state) {
    case 'done': {
      const ok = view.outcome.phase === 'Succeeded';
      const plan = ok && obs.report.report ? planArtifacts(obs.report.report) : { wanted: [], skipped: [] };
      const stored = config.artifacts.kind !== 'none';
      const preview = stored
        ? previewOutcome(view.outcome, config.statusPreviewBytes)
        : { outcome: view.outcome, full: null };
      const files = storedFields(plan, preview.full, obs.artifacts, config);
      if ('collect' in files) {
        if (!files.collect) return [];
        return [
          {
            do: 'collectArtifacts',
            podName: ownName,
            plan,
            ...(preview.full ? { output: preview.full } : {}),
          },
        ];
      }
      // A store that failed for good keeps the whole output in the status rather than lose it.
      const kept = 'fullOutput' in files.fields || !preview.full ? preview.outcome : view.outcome;
      const outcome: Outcome = { ...kept, ...files.fields };
      const steps: Step[] = [
        {
          do: 'writeStatus',
          status: finishedStatus(current, outcome, now),
          event: {
            type: ok ? 'Normal' : 'Warning',
            reason: ok ? 'Succeeded' : view.outcome.reason,
            message: view.outcome.message,
          },
        },
      ];
      if ('event' in files && files.event) steps.push({ do: 'recordEvent', event: files.event });
      steps.push({ do: 'deletePod', podName: ownName });
      return steps;
    }
    case 'running': {
      // A claimed Pod that is to grow gets the job only once the kubelet has given it the run's size.
      if (obs.podResizeRefused !== undefined)
        return moveToFreshSandbox(
          current,
          ownName,
          `cannot resize the pool Pod: ${obs.podResizeRefused}`,
          now,
        );
      const resize = resizeProgress(pod, claimedAt, now);
      if (resize.state === 'needed')
        return [
          { do: 'resizePod', podName: ownName, resources: resize.resources },
          { do: 'requeue', afterMs: RESIZE_RECHECK_MS },
        ];
      if (resize.state === 'pending') return [{ do: 'requeue', afterMs: RESIZE_RECHECK_MS }];
      if (resize.state === 'refused') return moveToFreshSandbox(current, ownName, resize.message, now);
      if (run.status?.phase !== 'Running') {
        const sinceClaimMs = claimedAt ? now.getTime() - claimedAt.getTime() : undefined;
        if (sinceClaimMs !== undefined && sinceClaimMs < RUNNING_WRITE_DELAY_MS && obs.sessionActive) {
          return [{ do: 'requeue', afterMs: RUNNING_WRITE_DELAY_MS - sinceClaimMs }];
        }
        // A warm run's program started at the claim; the pool Pod's container long before.
        if (status.phase !== 'Running') status = startedStatus(current, claimedAt ?? view.startedAt, now);
        steps.push({
          do: 'writeStatus',
          status,
          event: {
            type: 'Normal',
            reason: 'Started',
            message: `sandbox Pod ${ownName} is running the program`,
          },
        });
      }
      if (obs.report.source === 'none' && !obs.sessionActive)
        // The job may have gone out already if the run was marked Running, or its pool Pod claimed.
        steps.push({
          do: 'deliverJob',
          podName: ownName,
          afterRestart: run.status?.phase === 'Running' || claimedAt !== undefined,
        });
      return steps;
    }
    case 'never-ran':
    case 'lost':
      return moveToFreshSandbox(current, ownName, view.message, now);
    case 'needs-report':
      if (statusChanged(run.status, status)) steps.push({ do: 'writeStatus', status });
      // A live session will deliver the line (or its absence) itself; otherwise the Pod log holds it.
      if (!obs.sessionActive) steps.push({ do: 'readReport', podName: ownName });
      return steps;
    case 'pending':
      if (statusChanged(run.status, status)) steps.push({ do: 'writeStatus', status });
      steps.push({ do: 'requeue', afterMs: view.recheckAfterMs });
      return steps;
  }
}

const MAX_SANDBOX_RETRIES = 2;
/**
 * Nothing ran, or the sandbox died under the program for a reason outside it, or could not be given the
 * run's size: a run has no effect beyond its sandbox, so a fresh one is safe. Drop this one and start over,
 * a bounded number of times. A run that moved once is never resized again (warm-pool.ts).
 */
function moveToFreshSandbox(run: CodeRun, podName: string, why: string, now: Date): Step[] {
  const retries = run.status?.sandboxRetries ?? 0;
  if (retries >= MAX_SANDBOX_RETRIES) {
    const outcome = { phase: 'Failed', reason: 'SystemError', message: why } as const;
    return [
      {
        do: 'writeStatus',
        status: finishedStatus(run, outcome, now),
        event: { type: 'Warning', reason: 'SystemError', message: why },
      },
      { do: 'deletePod', podName },
    ];
  }
  const message = `${why}; moving the run to a fresh sandbox`;
  return [
    { do: 'deletePod', podName },
    {
      do: 'writeStatus',
      status: retryStatus(run, retries + 1, message, now),
      event: { type: 'Warning', reason: 'SandboxRetried', message },
    },
  ];
}

/** How often a run whose claimed Pod is being resized looks again (the Pod's update also wakes it). */
const RESIZE_RECHECK_MS = 250;

/** How long after its claim a warm run is marked Running, unless its outcome is written first. */
export const RUNNING_WRITE_DELAY_MS = 300;

type StoredFields =
  | { collect: boolean }
  | { fields: Pick<Outcome, 'artifacts' | 'skippedArtifacts' | 'fullOutput'>; event?: EventNote };

/**
 * What a finished run's status says about what went to the store (its files after exit 0, its whole output
 * when the status keeps a preview): put them there first (collect: true), wait for that (collect: false),
 * or the fields to write, with an Event when some files are not returned.
 */
function storedFields(
  plan: ArtifactPlan,
  output: FullOutput | null,
  state: ArtifactState,
  config: ControllerConfig,
): StoredFields {
  let stored: StoredArtifact[] = [];
  let skipped = plan.skipped;
  let outputRef: FullOutputRef | undefined;
  let error: string | undefined;
  if (plan.wanted.length && config.artifacts.kind === 'none') skipped = allSkipped(plan, 'no-store');
  else if (plan.wanted.length || output) {
    if (state.state === 'none') return { collect: true };
    if (state.state === 'collecting') return { collect: false };
    if (state.state === 'failed') {
      skipped = allSkipped(plan, 'store-error');
      error = state.error;
    } else {
      stored = state.stored;
      skipped = state.skipped;
      outputRef = state.output;
    }
  }
  const fields = {
    ...(stored.length ? { artifacts: stored } : {}),
    ...(skipped.length ? { skippedArtifacts: skipped } : {}),
    ...(outputRef ? { fullOutput: outputRef } : {}),
  };
  if (!skipped.length) return { fields };
  const list = skipped.map((s) => `${s.name} (${s.reason})`).join(', ');
  const message = `${skipped.length} file(s) the program wrote are not returned: ${list}${error ? `; ${error}` : ''}`;
  return { fields, event: { type: 'Warning', reason: 'ArtifactsSkipped', message: message.slice(0, 1024) } };
}

/** A Pod that carries a pool label was claimed from that pool. */
function adoptedSandbox(pod: V1Pod): 'warm' | 'cold' {
  return pod.metadata?.labels?.[LABELS.pool] ? 'warm' : 'cold';
}

function finishedSteps(obs: Observation, config: ControllerConfig): Step[] {
  const steps: Step[] = [];
  if (obs.pod?.metadata?.name && !obs.pod.metadata.deletionTimestamp) {
    steps.push({ do: 'deletePod', podName: obs.pod.metadata.name });
  }
  const completed = obs.run.status?.completionTime ? new Date(obs.run.status.completionTime) : obs.now;
  const ttl = obs.run.spec.ttlSecondsAfterFinished ?? config.ttlSecondsAfterFinished;
  const remainingMs = completed.getTime() + ttl * 1000 - obs.now.getTime();
  steps.push(remainingMs <= 0 ? { do: 'deleteRun' } : { do: 'requeue', afterMs: remainingMs });
  return steps;
}
