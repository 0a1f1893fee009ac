import type { V1Pod } from '@kubernetes/client-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ReportState, type SandboxState, sandboxState } from '../../../src/controller/outcome.ts';
import { makePod, makeReport, makeRun, NOW } from '../../fixtures.ts';

const run = makeRun();
const none: ReportState = { source: 'none' };
const logWithout: ReportState = { source: 'log', report: null };

function view(pod: V1Pod, report: ReportState = none): SandboxState {
  return sandboxState({
    pod,
    report,
    now: NOW,
    timeoutSeconds: 30,
    memoryLimit: '256Mi',
    maxOutputBytes: 262144,
    startTimeoutSeconds: 120,
    deadlineGraceSeconds: 15,
  });
}

function outcome(v: SandboxState) {
  if (v.state !== 'done') throw new Error(`expected done, got ${v.state}`);
  return v.outcome;
}

const running = { running: { startedAt: new Date(NOW.getTime() - 500) } };
const exited = (exitCode: number, reason = 'Completed') => ({ terminated: { exitCode, reason } });

test('a report with exit code 0 is Succeeded/Completed with the result and streams', () => {
  const o = outcome(view(makePod(run, { state: running }), { source: 'session', report: makeReport() }));
  assert.is(o.phase, 'Succeeded');
  assert.is(o.reason, 'Completed');
  assert.is(o.exitCode, 0);
  assert.is(o.stdout, 'hi\n');
  assert.equal(o.result, { present: true, value: { answer: 42 } });
});

test("the runner's memory figure becomes memoryUsedKb, and stays absent when it measured none", () => {
  const pod = makePod(run, { state: running });
  const measured = outcome(view(pod, { source: 'session', report: makeReport({ memoryKb: 300_000 }) }));
  assert.is(measured.memoryUsedKb, 300_000);
  const unmeasured = outcome(view(pod, { source: 'session', report: makeReport({ memoryKb: undefined }) }));
  assert.not.ok('memoryUsedKb' in unmeasured);
});

test('a report with a non-zero exit code is Failed/NonZeroExit, keeping stderr', () => {
  const o = outcome(
    view(makePod(run, { state: exited(0) }), {
      source: 'log',
      report: makeReport({ exitCode: 3, stderr: 'Traceback' }),
    }),
  );
  assert.is(o.phase, 'Failed');
  assert.is(o.reason, 'NonZeroExit');
  assert.is(o.exitCode, 3);
  assert.is(o.stderr, 'Traceback');
  assert.match(o.message, 'exited with code 3');
});

test('a program killed by a signal is Failed/Signalled and names the signal', () => {
  const o = outcome(
    view(makePod(run, { state: running }), {
      source: 'session',
      report: makeReport({ exitCode: null, signal: 'SIGSEGV' }),
    }),
  );
  assert.is(o.reason, 'Signalled');
  assert.match(o.message, 'SIGSEGV');
});

test('a program the runner stopped at its timeout is Failed/TimedOut', () => {
  const o = outcome(
    view(makePod(run, { state: running }), {
      source: 'session',
      report: makeReport({ exitCode: null, signal: 'SIGKILL', timedOut: true }),
    }),
  );
  assert.is(o.reason, 'TimedOut');
  assert.match(o.message, '30 s');
});

test('truncated output is Failed/OutputLimit with the flag kept', () => {
  const o = outcome(
    view(makePod(run, { state: running }), {
      source: 'session',
      report: makeReport({ stdoutTruncated: true }),
    }),
  );
  assert.is(o.reason, 'OutputLimit');
  assert.is(o.stdoutTruncated, true);
  assert.match(o.message, '262144 bytes');
});

test('an OOMKilled container is Failed/OOMKilled naming the memory limit', () => {
  const o = outcome(view(makePod(run, { state: exited(137, 'OOMKilled') })));
  assert.is(o.reason, 'OOMKilled');
  assert.is(o.exitCode, 137);
  assert.match(o.message, '256Mi');
});

test("a Pod past its activeDeadlineSeconds without the runner's line in its log was lost, not timed out by the program", () => {
  const pod = makePod(run, {
    state: exited(137, 'Error'),
    status: {
      phase: 'Failed',
      reason: 'DeadlineExceeded',
      message: 'Pod was active on the node longer than the specified deadline',
    },
  });
  // The attach that should have carried the line broke (a containerd restart): the log is read first.
  assert.equal(view(pod), { state: 'needs-report' });
  // The runner reports a program's timeout itself within the grace; no line by the deadline is a loss.
  assert.equal(view(pod, logWithout), {
    state: 'lost',
    message:
      'the sandbox Pod ran past its deadline (timeout 30 s + 15 s grace) without a result line from the runner',
  });
});

test('an image that cannot be pulled fails the run at once with the image named', () => {
  const pod = makePod(run, {
    state: { waiting: { reason: 'ErrImageNeverPull', message: 'Container image "img" is not present' } },
  });
  const o = outcome(view(pod));
  assert.is(o.reason, 'ImagePullFailed');
  assert.match(o.message, 'ErrImageNeverPull');
});

test('a container that cannot be created fails the run as SystemError with the kubelet message', () => {
  const pod = makePod(run, {
    state: { waiting: { reason: 'CreateContainerError', message: 'seccomp profile not found' } },
  });
  const o = outcome(view(pod));
  assert.is(o.reason, 'SystemError');
  assert.match(o.message, 'seccomp profile not found');
});

test('a Pod unschedulable past the start timeout is Failed/Unschedulable with the scheduler message', () => {
  const pod = makePod(run, {
    createdSecondsAgo: 121,
    status: {
      phase: 'Pending',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: '0/1 nodes are available',
        },
      ],
    },
  });
  const o = outcome(view(pod));
  assert.is(o.reason, 'Unschedulable');
  assert.match(o.message, '0/1 nodes are available');
});

test('a Pod still pending within the start timeout waits until the timeout', () => {
  const v = view(makePod(run, { createdSecondsAgo: 20 }));
  assert.equal(v, { state: 'pending', recheckAfterMs: 100_000 });
});

test('a scheduled Pod that never starts is Failed/StartTimeout', () => {
  const pod = makePod(run, { createdSecondsAgo: 130, state: { waiting: { reason: 'ContainerCreating' } } });
  const o = outcome(view(pod));
  assert.is(o.reason, 'StartTimeout');
  assert.match(o.message, 'ContainerCreating');
});

test('a Pod being deleted by someone else before the program finished is Failed/PodDeleted', () => {
  const pod = makePod(run, { state: running });
  pod.metadata = { ...pod.metadata, deletionTimestamp: NOW };
  assert.is(outcome(view(pod)).reason, 'PodDeleted');
});

test('a Pod whose node was lost is Failed/NodeLost', () => {
  assert.is(
    outcome(view(makePod(run, { state: running, status: { phase: 'Unknown', message: 'node unreachable' } })))
      .reason,
    'NodeLost',
  );
  assert.is(
    outcome(view(makePod(run, { state: running, status: { phase: 'Running', reason: 'NodeLost' } }))).reason,
    'NodeLost',
  );
});

test('a running container is running since its start time', () => {
  const v = view(makePod(run, { state: running }));
  assert.equal(v, { state: 'running', startedAt: running.running.startedAt });
});

test('a container running far past every deadline ends as SystemError instead of running forever', () => {
  const v = view(makePod(run, { state: running, createdSecondsAgo: 120 + 30 + 15 + 31 }));
  assert.is(outcome(v).reason, 'SystemError');
});

test('a runner that ended without ever receiving its job (exit 3) ran nothing: the run may move on', () => {
  const pod = makePod(run, {
    state: { terminated: { exitCode: 3, reason: 'Error', message: 'stdin closed' } },
  });
  assert.equal(view(pod, logWithout), {
    state: 'never-ran',
    message: 'the runner received no job in time: stdin closed',
  });
});

test("a warm run's clock starts at its claim, not at its pool Pod's creation an hour earlier", () => {
  const pod = makePod(run, { state: { running: { startedAt: NOW } }, createdSecondsAgo: 3600 });
  const base = {
    pod,
    report: none,
    now: NOW,
    timeoutSeconds: 10,
    memoryLimit: '256Mi',
    maxOutputBytes: 1024,
    startTimeoutSeconds: 120,
    deadlineGraceSeconds: 15,
  };
  assert.is(sandboxState({ ...base, claimedAt: new Date(NOW.getTime() - 2000) }).state, 'running');
  assert.is(sandboxState(base).state, 'done');
});

test('a terminated container whose log was not read yet needs the report', () => {
  assert.equal(view(makePod(run, { state: exited(0) })), { state: 'needs-report' });
  assert.equal(view(makePod(run, { state: exited(0) }), { source: 'session', report: null }), {
    state: 'needs-report',
  });
});

test('a runner that refused its job (its own exit code, no result line) is a SystemError naming it', () => {
  const o = outcome(
    view(
      makePod(run, { state: { terminated: { exitCode: 2, reason: 'Error', message: 'bad job' } } }),
      logWithout,
    ),
  );
  assert.is(o.reason, 'SystemError');
  assert.match(o.message, 'refused the job as malformed: bad job');
});

test("a sandbox that ended under its program without the runner's line (any other exit) was lost, not failed by the program", () => {
  assert.equal(view(makePod(run, { state: exited(255, 'Error') }), logWithout), {
    state: 'lost',
    message: 'the sandbox exited with code 255 before the runner reported a result',
  });
  // The runner held after a line the container runtime lost, then ended as it does: exit 0, no line.
  assert.equal(view(makePod(run, { state: exited(0) }), logWithout), {
    state: 'lost',
    message: 'the sandbox exited with code 0 before the runner reported a result',
  });
  // Out of memory is the program's doing, never a loss.
  assert.is(outcome(view(makePod(run, { state: exited(137, 'OOMKilled') }), logWithout)).reason, 'OOMKilled');
});

test('an unreadable result line is a SystemError carrying the parse error', () => {
  const o = outcome(
    view(makePod(run, { state: exited(0) }), {
      source: 'log',
      report: null,
      error: 'the runner printed a result line that is not valid JSON',
    }),
  );
  assert.is(o.reason, 'SystemError');
  assert.match(o.message, 'not valid JSON');
});

test('an evicted Pod is a SystemError with the eviction reason', () => {
  const o = outcome(
    view(
      makePod(run, { status: { phase: 'Failed', reason: 'Evicted', message: 'low on memory' } }),
      logWithout,
    ),
  );
  assert.is(o.reason, 'SystemError');
  assert.match(o.message, 'Evicted');
});

test.run();
