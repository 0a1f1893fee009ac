import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ragflowResultFromRun, ragflowStdout, stripResultMarker } from '../../../src/api/ragflow/response.ts';
import type { CodeRunStatus } from '../../../src/coderun/schema.ts';
import { makeRun, RAGFLOW_FIELDS } from '../../fixtures.ts';

function answer(status: CodeRunStatus) {
  const result = ragflowResultFromRun(makeRun({}, status));
  assert.equal(Object.keys(result).sort(), RAGFLOW_FIELDS, 'every field is always present');
  return result;
}

const marker = `__RAGFLOW_RESULT__:${Buffer.from('{"present":true,"value":3,"type":"json"}').toString('base64')}`;

test('exit 0 is success with stdout, stderr, result and time', () => {
  const r = answer({
    phase: 'Succeeded',
    reason: 'Completed',
    exitCode: 0,
    stdout: 'hi\n',
    stderr: 'warn',
    durationMs: 41,
    result: { present: true, value: 3 },
  });
  assert.equal(r, {
    ...r,
    status: 'success',
    exit_code: 0,
    stdout: 'hi\n',
    stderr: 'warn',
    time_used_ms: 41,
    detail: null,
    artifacts: [],
  });
  assert.equal(r.result, { present: true, value: 3, type: 'json' });
});

test('memory_used_kb is the peak the runner measured, for every outcome it measured', () => {
  const measured = { memoryUsedKb: 215_040, durationMs: 41, stderr: '' };
  const statuses: CodeRunStatus[] = [
    { phase: 'Succeeded', reason: 'Completed', exitCode: 0, ...measured },
    { phase: 'Failed', reason: 'NonZeroExit', exitCode: 1, ...measured },
    { phase: 'Failed', reason: 'NonZeroExit', exitCode: 1, ...measured, stderr: 'Permission denied' },
    { phase: 'Failed', reason: 'Signalled', message: 'the program was killed by SIGKILL', ...measured },
    { phase: 'Failed', reason: 'TimedOut', ...measured },
    { phase: 'Failed', reason: 'OutputLimit', exitCode: 0, ...measured },
  ];
  for (const status of statuses) assert.is(answer(status).memory_used_kb, 215_040, status.reason);
});

test('memory_used_kb stays null when nothing was measured', () => {
  assert.is(answer({ phase: 'Succeeded', reason: 'Completed', exitCode: 0 }).memory_used_kb, null);
  assert.is(answer({ phase: 'Failed', reason: 'OOMKilled', exitCode: 137 }).memory_used_kb, null);
  assert.is(answer({ phase: 'Failed', reason: 'PolicyRejected', policyFindings: [] }).memory_used_kb, null);
});

test('exit 0 without main has a null result', () => {
  assert.is(
    answer({ phase: 'Succeeded', reason: 'Completed', exitCode: 0, stdout: '', result: { present: false } })
      .result,
    null,
  );
});

test('a non-zero exit is program_error with stdout emptied and the traceback kept', () => {
  const r = answer({
    phase: 'Failed',
    reason: 'NonZeroExit',
    exitCode: 2,
    stdout: 'partial',
    stderr: 'Traceback: boom',
  });
  assert.is(r.status, 'program_error');
  assert.is(r.exit_code, 2);
  assert.is(r.stdout, '');
  assert.is(r.stderr, 'Traceback: boom');
  assert.is(r.runtime_error_type, 'nonzero_exit');
});

test('a signal is program_error with the negative signal number', () => {
  const r = answer({
    phase: 'Failed',
    reason: 'Signalled',
    message: 'the program was killed by SIGSEGV',
    stderr: '',
  });
  assert.is(r.status, 'program_error');
  assert.is(r.exit_code, -11);
  assert.is(r.runtime_error_type, 'signalled');
});

test("a timeout is resource_limit_exceeded/time with -124 and RAGFlow's text", () => {
  const r = answer({ phase: 'Failed', reason: 'TimedOut', stdout: 'x' });
  assert.equal(
    [r.status, r.exit_code, r.stdout, r.stderr, r.resource_limit_type],
    ['resource_limit_exceeded', -124, '', 'Execution timeout', 'time'],
  );
});

test('an OOM kill is resource_limit_exceeded/memory with -137', () => {
  const r = answer({ phase: 'Failed', reason: 'OOMKilled', exitCode: 137 });
  assert.equal(
    [r.status, r.exit_code, r.stderr, r.resource_limit_type],
    ['resource_limit_exceeded', -137, 'Memory limit exceeded (killed by OOM)', 'memory'],
  );
});

test('output over the cap is resource_limit_exceeded/output keeping the exit code and adding a note', () => {
  const r = answer({
    phase: 'Failed',
    reason: 'OutputLimit',
    exitCode: 0,
    stderr: 'err',
    message: 'output exceeded 262144 bytes',
  });
  assert.equal(
    [r.status, r.exit_code, r.resource_limit_type, r.stdout],
    ['resource_limit_exceeded', 0, 'output', ''],
  );
  assert.match(r.stderr, /^err\n\[coderun\] output exceeded 262144 bytes$/);
});

test('"Permission denied" on stderr is unauthorized_access/file_access', () => {
  const r = answer({
    phase: 'Failed',
    reason: 'NonZeroExit',
    exitCode: 1,
    stderr: "PermissionError: [Errno 13] Permission denied: '/etc/x'",
  });
  assert.equal(
    [r.status, r.exit_code, r.unauthorized_access_type],
    ['unauthorized_access', 1, 'file_access'],
  );
});

test('"Operation not permitted" on stderr is unauthorized_access/disallowed_syscall', () => {
  const r = answer({
    phase: 'Failed',
    reason: 'NonZeroExit',
    exitCode: 1,
    stderr: 'PermissionError: [Errno 1] Operation not permitted',
  });
  assert.equal([r.status, r.unauthorized_access_type], ['unauthorized_access', 'disallowed_syscall']);
});

test('a policy rejection is program_runner_error -999 "Code is unsafe" with one line per finding', () => {
  const r = answer({
    phase: 'Failed',
    reason: 'PolicyRejected',
    policyFindings: [
      { line: 1, column: 1, rule: 'import', message: "Import of blocked module 'os'" },
      { line: 3, column: 5, rule: 'call', message: "Call of blocked builtin 'eval'" },
    ],
  });
  assert.equal([r.status, r.exit_code, r.detail], ['program_runner_error', -999, 'Code is unsafe']);
  assert.is(r.stderr, "Line 1: Import of blocked module 'os'\nLine 3: Call of blocked builtin 'eval'");
});

test('no capacity in time is program_runner_error -10 "Sandbox pool is busy"', () => {
  for (const reason of ['Unschedulable', 'StartTimeout'] as const) {
    const r = answer({ phase: 'Failed', reason });
    assert.equal(
      [r.status, r.exit_code, r.stderr, r.detail],
      ['program_runner_error', -10, 'Sandbox pool is busy', 'no_available_container'],
    );
  }
});

test('any other failure is program_runner_error -3 internal_error carrying the message', () => {
  const r = answer({ phase: 'Failed', reason: 'ImagePullFailed', message: 'cannot pull the sandbox image' });
  assert.equal(
    [r.status, r.exit_code, r.detail, r.stderr],
    ['program_runner_error', -3, 'internal_error', 'cannot pull the sandbox image'],
  );
});

test("/run's stdout is the one it answered when the runners printed the marker line after the program's", () => {
  // What runners did before the status kept the result only in `result`: the line after the program's
  // stdout when main returned, on a line of its own; /run then removed every marker line.
  const withLine = (stdout: string) => `${stdout}${stdout && !stdout.endsWith('\n') ? '\n' : ''}${marker}\n`;
  const programs = [
    '',
    'hi\n',
    'no newline',
    'a\n\nb',
    `own\n${marker}\n`,
    `a\n${marker}`,
    marker,
    `x ${marker}`,
  ];
  for (const stdout of programs) {
    assert.is(ragflowStdout(stdout, true), stripResultMarker(withLine(stdout)), JSON.stringify(stdout));
    assert.is(ragflowStdout(stdout, false), stripResultMarker(stdout), JSON.stringify(stdout));
    // A status an older runner wrote still carries the line; the answer is the same.
    assert.is(ragflowStdout(withLine(stdout), true), ragflowStdout(stdout, true), JSON.stringify(stdout));
  }
  assert.is(ragflowStdout('no newline', true), 'no newline\n');
  assert.is(ragflowStdout('no newline', false), 'no newline');
});

test('stripping the marker keeps every other line, including a trailing newline', () => {
  assert.is(stripResultMarker(`a\n${marker}\nb\n`), 'a\nb\n');
  assert.is(stripResultMarker('no marker\n'), 'no marker\n');
});

test.run();
