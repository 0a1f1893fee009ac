// What a sandbox Pod (and the runner's report, if we have it) says about its run. Pure.
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { FullOutputRef, Reason, RunResult, SkippedArtifact, StoredArtifact } from '../coderun/schema.ts';
import type { RunnerReport } from '../runtimes/protocol.ts';
import { CONTAINER_NAME } from './sandbox-pod.ts';

/** What we know of the runner's result line, and where it came from. */
export type ReportState =
  | { source: 'none'; report?: undefined; error?: undefined }
  | { source: 'session' | 'log'; report: RunnerReport | null; error?: string };

export interface Outcome {
  phase: 'Succeeded' | 'Failed';
  reason: Reason;
  message: string;
  exitCode?: number;
  durationMs?: number;
  stdout?: string;
  stderr?: string;
  stdoutTruncated?: boolean;
  stderrTruncated?: boolean;
  result?: RunResult;
  memoryUsedKb?: number;
  artifacts?: StoredArtifact[];
  skippedArtifacts?: SkippedArtifact[];
  fullOutput?: FullOutputRef;
}

/** Where a run stands, as its sandbox Pod and the runner's report show it. */
export type SandboxState =
  | { state: 'pending'; recheckAfterMs: number }
  | { state: 'running'; startedAt: Date }
  /** The container ended; the outcome depends on the runner's line, which is not read yet. */
  | { state: 'needs-report' }
  | { state: 'done'; outcome: Outcome }
  /** The sandbox ended before its job arrived (an attach lost to a controller restart): nothing ran. */
  | { state: 'never-ran'; message: string }
  /**
   * The sandbox ended under the program without the runner's line, for a reason outside the program (the
   * runner always reports how its program ended, and the program can neither signal it nor outlive it): the
   * node's container runtime restarted, the runtime failed. A run has no effect outside its sandbox, so
   * running it again in a fresh one is safe.
   */
  | { state: 'lost'; message: string };

export interface SandboxStateInput {
  pod: V1Pod;
  /** When the run claimed this Pod from a pool (a warm run); cold Pods count from their creation. */
  claimedAt?: Date;
  report: ReportState;
  now: Date;
  timeoutSeconds: number;
  memoryLimit: string;
  maxOutputBytes: number;
  startTimeoutSeconds: number;
  deadlineGraceSeconds: number;
}

const IMAGE_PULL_FAILURES = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'RegistryUnavailable',
]);
const CONTAINER_CREATE_FAILURES = new Set([
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);
const RUNNER_NO_JOB = 3;
/** Runner exit codes from docs/runner-protocol.md. */
const RUNNER_EXIT: Record<number, string> = {
  2: 'the runner refused the job as malformed',
  3: 'the runner received no job in time',
  4: 'the runner failed internally',
};
/** Slack on top of the Pod's own deadline before we stop waiting for the kubelet to report anything. */
const KUBELET_SLACK_SECONDS = 30;

export function outcomeFromReport(
  report: RunnerReport,
  timeoutSeconds: number,
  maxOutputBytes: number,
): Outcome {
  const streams = {
    durationMs: Math.round(report.durationMs),
    stdout: report.stdout,
    stderr: report.stderr,
    stdoutTruncated: report.stdoutTruncated,
    stderrTruncated: report.stderrTruncated,
    result: report.result,
    ...(report.memoryKb === undefined ? {} : { memoryUsedKb: report.memoryKb }),
  };
  if (report.timedOut) {
    return {
      phase: 'Failed',
      reason: 'TimedOut',
      message: `the program ran past its ${timeoutSeconds} s timeout and was killed`,
      ...streams,
    };
  }
  if (report.signal) {
    return {
      phase: 'Failed',
      reason: 'Signalled',
      message: `the program was killed by ${report.signal}`,
      ...streams,
    };
  }
  const exitCode = report.exitCode ?? -1;
  if (report.stdoutTruncated || report.stderrTruncated) {
    return {
      phase: 'Failed',
      reason: 'OutputLimit',
      message: `the program's output exceeded ${maxOutputBytes} bytes per stream; the rest was discarded`,
      exitCode,
      ...streams,
    };
  }
  if (exitCode === 0)
    return {
      phase: 'Succeeded',
      reason: 'Completed',
      message: 'the program exited with code 0',
      exitCode,
      ...streams,
    };
  return {
    phase: 'Failed',
    reason: 'NonZeroExit',
    message: `the program exited with code ${exitCode}`,
    exitCode,
    ...streams,
  };
}

function runnerStatus(pod: V1Pod): V1ContainerStatus | undefined {
  return pod.status?.containerStatuses?.find((c) => c.name === CONTAINER_NAME);
}

function ageSeconds(pod: V1Pod, now: Date): number {
  const created = pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp) : now;
  return (now.getTime() - created.getTime()) / 1000;
}

function failed(reason: Reason, message: string, extra: Partial<Outcome> = {}): SandboxState {
  return { state: 'done', outcome: { phase: 'Failed', reason, message, ...extra } };
}

/** Reads the Pod and the report into one of: still pending, running, waiting for the report, or done. */
export function sandboxState(input: SandboxStateInput): SandboxState {
  const { pod, report, now } = input;
  if (report.report)
    return {
      state: 'done',
      outcome: outcomeFromReport(report.report, input.timeoutSeconds, input.maxOutputBytes),
    };

  const container = runnerStatus(pod);
  const terminated = container?.state?.terminated;
  // A pool's Pod may have waited an hour before its run claimed it: the run's clock starts at the claim.
  const age = input.claimedAt
    ? Math.max(0, (now.getTime() - input.claimedAt.getTime()) / 1000)
    : ageSeconds(pod, now);
  const hardDeadline =
    input.startTimeoutSeconds + input.timeoutSeconds + input.deadlineGraceSeconds + KUBELET_SLACK_SECONDS;

  if (terminated?.reason === 'OOMKilled') {
    return failed('OOMKilled', `the sandbox ran out of memory (limit ${input.memoryLimit}) and was killed`, {
      exitCode: terminated.exitCode,
    });
  }
  if (pod.status?.phase === 'Failed' && pod.status.reason === 'DeadlineExceeded') {
    // The runner's line may be in the Pod log although the attach that should have brought it broke (a
    // containerd restart cuts attach streams): read it first.
    if (report.source !== 'log') return { state: 'needs-report' };
    // The runner ends every program at its timeout and reports it (TimedOut) within the grace: no line by
    // the deadline is the sandbox's failure (its line lost with a containerd restart, or a start slower
    // than the deadline), never the program's.
    return {
      state: 'lost',
      message: `the sandbox Pod ran past its deadline (timeout ${input.timeoutSeconds} s + ${input.deadlineGraceSeconds} s grace) without a result line from the runner`,
    };
  }
  if (pod.status?.phase === 'Unknown' || pod.status?.reason === 'NodeLost') {
    return failed(
      'NodeLost',
      `the node running the sandbox Pod stopped reporting (${pod.status?.message ?? 'no message'})`,
    );
  }
  if (pod.metadata?.deletionTimestamp && !terminated) {
    return failed('PodDeleted', 'the sandbox Pod was deleted before the program finished');
  }
  if (terminated || pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') {
    if (report.source !== 'log') return { state: 'needs-report' };
    return endedWithoutReport(pod, terminated?.exitCode, report.error);
  }
  if (container?.state?.running) {
    if (age > hardDeadline) {
      return failed(
        'SystemError',
        `no outcome from the sandbox within ${Math.round(hardDeadline)} s of its ${input.claimedAt ? 'claim' : 'creation'}`,
      );
    }
    const startedAt = container.state.running.startedAt ? new Date(container.state.running.startedAt) : now;
    return { state: 'running', startedAt };
  }
  return pendingView(pod, container, age, input.startTimeoutSeconds);
}

function endedWithoutReport(
  pod: V1Pod,
  exitCode: number | undefined,
  error: string | undefined,
): SandboxState {
  if (exitCode === RUNNER_NO_JOB && pod.status?.phase !== 'Unknown') {
    const detail = runnerStatus(pod)?.state?.terminated?.message?.trim();
    return { state: 'never-ran', message: `${RUNNER_EXIT[RUNNER_NO_JOB]}${detail ? `: ${detail}` : ''}` };
  }
  if (error) return failed('SystemError', error, exitCode === undefined ? {} : { exitCode });
  if (exitCode !== undefined && RUNNER_EXIT[exitCode]) {
    const detail = runnerStatus(pod)?.state?.terminated?.message?.trim();
    return failed('SystemError', `${RUNNER_EXIT[exitCode]}${detail ? `: ${detail}` : ''}`, { exitCode });
  }
  if (pod.status?.phase === 'Failed' && pod.status.reason) {
    return failed(
      'SystemError',
      `the sandbox Pod failed (${pod.status.reason}): ${pod.status.message ?? 'no message'}`,
    );
  }
  const code = exitCode === undefined ? 'without an exit code' : `with code ${exitCode}`;
  return { state: 'lost', message: `the sandbox exited ${code} before the runner reported a result` };
}

function pendingView(
  pod: V1Pod,
  container: V1ContainerStatus | undefined,
  age: number,
  startTimeout: number,
): SandboxState {
  const waiting = container?.state?.waiting;
  if (waiting?.reason && IMAGE_PULL_FAILURES.has(waiting.reason)) {
    return failed(
      'ImagePullFailed',
      `cannot pull the sandbox image ${container?.image ?? ''}: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`,
    );
  }
  if (waiting?.reason && CONTAINER_CREATE_FAILURES.has(waiting.reason)) {
    return failed(
      'SystemError',
      `cannot start the sandbox container: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`,
    );
  }
  if (age >= startTimeout) {
    const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (scheduled?.status === 'False') {
      return failed(
        'Unschedulable',
        `the sandbox Pod could not be scheduled within ${startTimeout} s: ${scheduled.message ?? scheduled.reason ?? 'no reason given'}`,
      );
    }
    const why = waiting?.reason ? ` (container waiting: ${waiting.reason})` : '';
    return failed('StartTimeout', `the sandbox did not start within ${startTimeout} s${why}`);
  }
  return { state: 'pending', recheckAfterMs: Math.ceil((startTimeout - age) * 1000) };
}
