// The Python runner (sandbox_base_image/python/runner.py) on the host's python3, stdlib programs only: what
// is Python's own. What every runner must do is in the conformance table (conformance.test.ts).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startOnHost } from '../../conformance/host.ts';
import {
  isAlive,
  type JobFields,
  jobLine,
  killIfAlive,
  pythonRunnerWith,
  REPO,
  PYTHON_RUNNER as RUNNER,
  reportOf,
  runRunner,
} from './runner-harness.ts';

// The guards refuse starting processes; the process group kill and the memory of child processes lie
// beneath them and are tested without them.
const UNGUARDED = pythonRunnerWith([]);

function run(fields: JobFields, runner = RUNNER) {
  return runRunner(runner, jobLine('python', fields));
}

function report(fields: JobFields, runner = RUNNER) {
  const result = run(fields, runner);
  assert.is(result.status, 0, result.stderr);
  return reportOf(result);
}

test('an exception exits 1 with the traceback of the user code only', () => {
  const r = report({ source: 'def helper():\n    return 1 / 0\n\ndef main():\n    return helper()\n' });
  assert.is(r.exitCode, 1);
  assert.match(r.stderr, /^Traceback \(most recent call last\):\n {2}File ".*main\.py", line 5, in main/);
  assert.match(r.stderr, /ZeroDivisionError: division by zero\n$/);
  assert.not.match(r.stderr, '<string>');
  assert.equal(r.result, { present: false });
});

test('a syntax error exits 1 with the interpreter SyntaxError text', () => {
  const r = report({ source: 'def main(:\n    return 1\n' });
  assert.is(r.exitCode, 1);
  assert.match(r.stderr, /^ {2}File ".*main\.py", line 1\n {4}def main\(:\n/);
  assert.match(r.stderr, /SyntaxError: /);
});

test('the timeout kills the whole process group, grandchildren included', () => {
  const r = report(
    {
      source: [
        'import subprocess, sys, time',
        'child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1000)"])',
        'print(child.pid, flush=True)',
        'time.sleep(1000)',
      ].join('\n'),
      timeoutMs: 700,
    },
    UNGUARDED,
  );
  const grandchild = Number(r.stdout.trim());
  try {
    assert.ok(grandchild > 0, r.stdout);
    assert.is(r.timedOut, true);
    assert.is(r.exitCode, null);
    assert.is(r.signal, 'SIGKILL');
    assert.ok(r.durationMs >= 700 && r.durationMs < 3000, `durationMs ${r.durationMs}`);
    assert.not.ok(isAlive(grandchild), `grandchild ${grandchild} survived the timeout`);
  } finally {
    killIfAlive(grandchild);
  }
});

test('a process left running after the program exits is killed too', () => {
  const r = report(
    {
      source: [
        'import subprocess, sys',
        'child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1000)"])',
        'print(child.pid)',
      ].join('\n'),
    },
    UNGUARDED,
  );
  const leftover = Number(r.stdout.trim());
  try {
    assert.is(r.exitCode, 0);
    assert.not.ok(isAlive(leftover), `process ${leftover} outlived the program`);
  } finally {
    killIfAlive(leftover);
  }
});

test('modules named in CODERUN_PRELOAD are imported before the job arrives', () => {
  const source = 'def main():\n    import sys\n    return "decimal" in sys.modules\n';
  const without = reportOf(runRunner(RUNNER, jobLine('python', { source })));
  assert.equal(without.result, { present: true, value: false });
  const env = { CODERUN_PRELOAD: 'decimal,nosuchmodule' };
  const preloaded = reportOf(runRunner(RUNNER, jobLine('python', { source }), env));
  assert.equal(preloaded.result, { present: true, value: true });
  assert.is(preloaded.exitCode, 0, preloaded.stderr);
});

test('with CODERUN_READY_FILE the waiting interpreter creates it once the preloaded modules are imported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'coderun-ready-'));
  const ready = join(dir, 'ready');
  // No job yet: the runner waits on stdin, and the file must appear before anything is written to it.
  const runner = startOnHost(RUNNER, REPO, {
    input: undefined,
    env: { CODERUN_PRELOAD: 'decimal', CODERUN_READY_FILE: ready },
  });
  try {
    const deadline = Date.now() + 20_000;
    while (!existsSync(ready) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(existsSync(ready), 'the ready file did not appear within 20 s');
    runner.child.stdin.end(
      jobLine('python', { source: 'import os\ndef main():\n    return sorted(os.environ)\n' }),
    );
    const report = await runner.report;
    assert.is(report.exitCode, 0, report.stderr);
    // The program's environment does not carry the runner's plumbing.
    assert.not.ok((report.result.value as string[]).includes('CODERUN_READY_FILE'));
  } finally {
    await runner.signal('SIGKILL');
    await runner.ended;
    rmSync(dir, { recursive: true, force: true });
  }
});

const HELLO = 'print("hello")';

function memoryKb(fields: JobFields, runner = RUNNER): number {
  const r = report(fields, runner);
  assert.ok(r.memoryKb !== undefined, 'the report has memoryKb');
  return r.memoryKb ?? 0;
}

test('a child process the program waited for counts in its peak memory', () => {
  const hello = memoryKb({ source: HELLO });
  const big = memoryKb(
    {
      source:
        'import subprocess, sys\nsubprocess.run([sys.executable, "-c", "data = bytearray(200 * 2**20)"], check=True)\n',
    },
    UNGUARDED,
  );
  assert.ok(big - hello >= 150_000, `hello world ${hello} KiB, program with a 200 MiB child ${big} KiB`);
});

test('a CODERUN_PROGRAM_FILE that is not a plain file name ends the runner with 4 before any job', () => {
  const result = runRunner(RUNNER, jobLine('python', { source: '' }), { CODERUN_PROGRAM_FILE: '../main.py' });
  assert.is(result.status, 4);
  assert.is(result.stdout, '');
  assert.match(
    result.stderr,
    `CODERUN_PROGRAM_FILE must be a plain file name such as main.py, got '../main.py'`,
  );
});

test.run();
