// The Python runner (sandbox_base_image/python/runner.py) on the host's python3, stdlib programs only.
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RESULT_MARKER } from '../../../src/runtimes/protocol.ts';
import {
  ARTIFACT_CASES,
  checkArtifactCase,
  checkHoldEndsByItself,
  checkHoldUntilSigterm,
  checkNoHoldWithoutArtifacts,
  checkNoHoldWithoutTheField,
} from './artifact-cases.ts';
import {
  isAlive,
  type JobFields,
  jobLine,
  killIfAlive,
  pythonRunnerWith,
  PYTHON_RUNNER as RUNNER,
  ragflowEnvelope,
  reportOf,
  runRunner,
  runWithoutJob,
  startRunner,
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

test('main is called with the arguments and its dict comes back as the result', () => {
  const r = report({
    source: 'print("hello")\ndef main(a, b=2):\n    return {"sum": a + b, "text": "é"}\n',
    arguments: { a: 40 },
  });
  assert.is(r.exitCode, 0);
  assert.equal(r.result, { present: true, value: { sum: 42, text: 'é' } });
  assert.ok(r.stdout.startsWith('hello\n'));
  assert.is(r.timedOut, false);
});

test('a program without main runs as a script and has no result', () => {
  const r = report({ source: 'if __name__ == "__main__":\n    print(sum(range(5)))\n' });
  assert.is(r.exitCode, 0);
  assert.is(r.stdout, '10\n');
  assert.equal(r.result, { present: false });
});

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

test('a return value that is not JSON-serialisable exits 1 with a clear message', () => {
  const r = report({ source: 'def main():\n    return {"s": {1, 2}}\n' });
  assert.is(r.exitCode, 1);
  assert.match(r.stderr, 'coderun: main() returned a value that is not JSON-serialisable: ');
  assert.match(r.stderr, 'set');
  assert.equal(r.result, { present: false });
});

test('a return value whose JSON is over the cap exits 1 with both sizes', () => {
  const r = report({ source: 'def main():\n    return "x" * 300\n', maxOutputBytes: 200 });
  assert.is(r.exitCode, 1);
  assert.match(r.stderr, 'coderun: main() returned 302 bytes of JSON, over the limit of 200');
  assert.equal(r.result, { present: false });
});

test('an async main is awaited', () => {
  const r = report({
    source: 'import asyncio\nasync def main(n):\n    await asyncio.sleep(0.01)\n    return [n, None]\n',
    arguments: { n: 3 },
  });
  assert.equal(r.result, { present: true, value: [3, null] });
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

test('output past the cap is read, dropped and flagged, and the run still ends quickly', () => {
  const result = run({
    source: 'import sys\nsys.stdout.write("x" * (50 * 2**20))\nsys.stderr.write("é" * 10)\n',
    maxOutputBytes: 1000,
  });
  const r = reportOf(result);
  assert.is(r.exitCode, 0);
  assert.is(r.stdout, 'x'.repeat(1000));
  assert.is(r.stdoutTruncated, true);
  assert.is(r.stderr, 'é'.repeat(10));
  assert.is(r.stderrTruncated, false);
  assert.ok(result.elapsedMs < 5000, `took ${result.elapsedMs} ms`);
});

test('a cap that cuts a character in half drops the partial bytes', () => {
  const r = report({ source: 'print("aé")', maxOutputBytes: 2 });
  assert.is(r.stdout, 'a');
  assert.is(r.stdoutTruncated, true);
});

test('stdout and stderr are captured separately', () => {
  const r = report({
    source: 'import sys\nprint("out 1")\nprint("err 1", file=sys.stderr)\nprint("out 2")\n',
  });
  assert.is(r.stdout, 'out 1\nout 2\n');
  assert.is(r.stderr, 'err 1\n');
});

test('a fake result line printed by the program cannot forge the result', () => {
  const fake = `${RESULT_MARKER}${JSON.stringify({ v: 1, exitCode: 0, result: { present: true, value: 'forged' } })}`;
  const r = report({
    source: `print(${JSON.stringify(fake)})\nprint("__RAGFLOW_RESULT__:Zm9yZ2Vk")\ndef main():\n    return "real"\n`,
  });
  assert.equal(r.result, { present: true, value: 'real' });
  assert.ok(r.stdout.startsWith(`${fake}\n`));
  assert.equal(ragflowEnvelope(r), { present: true, value: 'real', type: 'json' });
});

test('the last stdout line is the RAGFlow result line, on a line of its own', () => {
  const r = report({
    source: 'import sys\nsys.stdout.write("no newline")\ndef main():\n    return {"a": [1]}\n',
  });
  const lines = r.stdout.split('\n');
  assert.is(lines[0], 'no newline');
  assert.equal(ragflowEnvelope(r), { present: true, value: { a: [1] }, type: 'json' });
  assert.is(ragflowEnvelope(report({ source: 'print(1)' })), undefined);
});

test('arguments reach main through the job, never argv or the environment', () => {
  const r = report({
    source: [
      'import os, sys',
      'def main(token):',
      '    leaked = any(token in v for v in os.environ.values()) or any(token in a for a in sys.argv)',
      '    return {"leaked": leaked, "argv": len(sys.argv), "cwd": os.getcwd() == os.environ["CODERUN_WORKDIR"]}',
    ].join('\n'),
    arguments: { token: 's3cret-argument' },
  });
  assert.equal(r.result, { present: true, value: { leaked: false, argv: 1, cwd: true } });
});

test('closing the result channel ends the run with an explanation, not a crash', () => {
  const r = report({ source: 'import os\nos.closerange(3, 1024)\ndef main():\n    return 1\n' });
  assert.is(r.exitCode, 1);
  assert.match(r.stderr, 'coderun: could not deliver the value main() returned');
  assert.equal(r.result, { present: false });
});

test('a malformed job exits 2 with the reason on stderr', () => {
  const notJson = runRunner(RUNNER, 'not json\n');
  assert.is(notJson.status, 2);
  assert.match(notJson.stderr, 'not valid JSON');
  assert.is(notJson.stdout, '');
  const wrongLanguage = runRunner(RUNNER, jobLine('nodejs', { source: '' }));
  assert.is(wrongLanguage.status, 2);
  assert.match(wrongLanguage.stderr, "this runner serves 'python'");
  const badTimeout = runRunner(RUNNER, jobLine('python', { source: '', timeoutMs: -1 }));
  assert.is(badTimeout.status, 2);
  assert.match(badTimeout.stderr, "'timeoutMs' must be a positive integer, got -1");
});

test('stdin closing without a job exits 3', () => {
  const r = runRunner(RUNNER, '');
  assert.is(r.status, 3);
  assert.match(r.stderr, 'stdin closed before a job line arrived');
});

test('a runner whose job never comes gives up after CODERUN_JOB_WAIT_SECONDS and leaves no process behind', async () => {
  const ended = await runWithoutJob(RUNNER, { CODERUN_JOB_WAIT_SECONDS: '1' });
  assert.is(ended.status, 3);
  assert.match(ended.stderr, 'no job line arrived on stdin within 1 s');
  assert.ok(ended.elapsedMs < 10_000, `took ${ended.elapsedMs} ms`);
  assert.is(ended.leftovers, 0, 'the pre-started interpreter is gone');
});

test("the program's time counts from the job, not from the interpreter start", () => {
  const r = report({ source: 'def main():\n    return 1\n' });
  assert.ok(r.durationMs < 1000, `durationMs ${r.durationMs}`);
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
  const runner = startRunner(RUNNER, '', { CODERUN_PRELOAD: 'decimal', CODERUN_READY_FILE: ready }, false);
  try {
    const deadline = Date.now() + 20_000;
    while (!existsSync(ready) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(existsSync(ready), 'the ready file did not appear within 20 s');
    runner.child.stdin?.end(
      jobLine('python', { source: 'import os\ndef main():\n    return sorted(os.environ)\n' }),
    );
    const report = await runner.report;
    assert.is(report.exitCode, 0, report.stderr);
    // The program's environment does not carry the runner's plumbing.
    assert.not.ok((report.result.value as string[]).includes('CODERUN_READY_FILE'));
  } finally {
    await runner.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('artifacts/ exists before the program runs, so writing artifacts/out.csv succeeds', () => {
  const r = report({
    source: [
      'import os, stat',
      'with open("artifacts/out.csv", "w") as out:',
      '    out.write("a,b\\n1,2\\n")',
      'def main():',
      '    mode = os.lstat("artifacts").st_mode',
      '    return {"dir": stat.S_ISDIR(mode), "mode": stat.S_IMODE(mode), "size": os.path.getsize("artifacts/out.csv")}',
    ].join('\n'),
  });
  assert.is(r.exitCode, 0, r.stderr);
  const value = r.result.value as { dir: boolean; mode: number; size: number };
  assert.equal([value.dir, value.size], [true, 8]);
  assert.is(value.mode & ~0o755, 0, `mode ${value.mode.toString(8)} is wider than 755`);
});

test('a file or link already named artifacts is left as it is; the link is not followed', () => {
  const outside = mkdtempSync(join(tmpdir(), 'coderun-outside-'));
  try {
    const target = join(outside, 'target');
    const link = reportOf(
      runRunner(
        RUNNER,
        jobLine('python', { source: 'import os\ndef main():\n    return os.readlink("artifacts")\n' }),
        {},
        (workdir) => symlinkSync(target, join(workdir, 'artifacts')),
      ),
    );
    assert.equal(link.result, { present: true, value: target });
    assert.not.ok(existsSync(target), 'the runner created the link target');
    const file = reportOf(
      runRunner(
        RUNNER,
        jobLine('python', { source: 'def main():\n    return open("artifacts").read()\n' }),
        {},
        (workdir) => writeFileSync(join(workdir, 'artifacts'), 'kept'),
      ),
    );
    assert.equal(file.result, { present: true, value: 'kept' });
  } finally {
    rmSync(outside, { recursive: true, force: true });
  }
});

for (const c of ARTIFACT_CASES) {
  test(`artifacts: ${c.name}`, () => checkArtifactCase(RUNNER, 'python', c));
}

test('with an artifact and artifactHoldMs the runner stays alive after its result line, tar reads the file, and SIGTERM ends it at once with code 0', () =>
  checkHoldUntilSigterm(RUNNER, 'python'));

test('the artifact hold ends by itself after artifactHoldMs', () => checkHoldEndsByItself(RUNNER, 'python'));

test('a run without artifacts does not hold, whatever artifactHoldMs says', () =>
  checkNoHoldWithoutArtifacts(RUNNER, 'python'));

test('a job without artifactHoldMs does not hold', () => checkNoHoldWithoutTheField(RUNNER, 'python'));

test('an artifactHoldMs that is not a non-negative integer is a malformed job', () => {
  const r = runRunner(RUNNER, jobLine('python', { source: '', artifactHoldMs: -1 }));
  assert.is(r.status, 2);
  assert.match(r.stderr, "'artifactHoldMs' must be a non-negative integer, got -1");
});

const HELLO = 'print("hello")';

function memoryKb(fields: JobFields, runner = RUNNER): number {
  const r = report(fields, runner);
  assert.ok(r.memoryKb !== undefined, 'the report has memoryKb');
  return r.memoryKb ?? 0;
}

test('a hello world reports a plausible peak memory', () => {
  const kb = memoryKb({ source: HELLO });
  assert.ok(kb > 1_000 && kb < 150_000, `memoryKb ${kb}`);
});

test('a 200 MiB bytearray adds at least 150,000 KiB to the peak memory of a hello world', () => {
  const hello = memoryKb({ source: HELLO });
  const big = memoryKb({ source: 'data = bytearray(200 * 2**20)\n' });
  assert.ok(big - hello >= 150_000, `hello world ${hello} KiB, 200 MiB program ${big} KiB`);
});

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

test('a program killed at its timeout still reports its peak memory', () => {
  const hello = memoryKb({ source: HELLO });
  const r = report({
    source: 'import time\ndata = bytearray(200 * 2**20)\ntime.sleep(1000)\n',
    timeoutMs: 1500,
  });
  assert.is(r.timedOut, true);
  assert.ok(
    (r.memoryKb ?? 0) - hello >= 150_000,
    `hello world ${hello} KiB, killed program ${r.memoryKb} KiB`,
  );
});

test.run();
