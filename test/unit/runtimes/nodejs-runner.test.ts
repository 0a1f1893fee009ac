// The Node.js runner (sandbox_base_image/nodejs/runner.mjs) on the host's node, built-in modules only
// (`require('axios')` needs the image's packages; the end-to-end tier covers it).
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
  NODEJS_RUNNER as RUNNER,
  ragflowEnvelope,
  reportOf,
  runRunner,
  runWithoutJob,
  unguardedNodeRunner,
} from './runner-harness.ts';

// The guards refuse child processes and workers; the process group kill, the memory of child processes
// and the flags eval Workers inherit lie beneath them and are tested without them.
const UNGUARDED = unguardedNodeRunner();

function run(fields: JobFields, runner = RUNNER) {
  return runRunner(runner, jobLine('nodejs', fields));
}

function report(fields: JobFields, runner = RUNNER) {
  const result = run(fields, runner);
  assert.is(result.status, 0, result.stderr);
  return reportOf(result);
}

function resultOf(source: string, args: Record<string, unknown> = { n: 1 }, runner = RUNNER) {
  const r = report({ source, arguments: args }, runner);
  assert.is(r.exitCode, 0, r.stderr);
  return r.result;
}

test('main is called with one arguments object and its object comes back as the result', () => {
  const r = report({
    source: 'console.log("hello");\nfunction main({ a, b }) {\n  return { sum: a + b, text: "é" };\n}\n',
    arguments: { a: 40, b: 2 },
  });
  assert.is(r.exitCode, 0);
  assert.equal(r.result, { present: true, value: { sum: 42, text: 'é' } });
  assert.ok(r.stdout.startsWith('hello\n'));
});

test('CommonJS: module.exports = { main }', () => {
  assert.equal(resultOf('const main = (a) => a.n + 1;\nmodule.exports = { main };\n'), {
    present: true,
    value: 2,
  });
});

test('CommonJS: module.exports = main', () => {
  assert.equal(resultOf('module.exports = function (a) { return a.n * 10; };\n'), {
    present: true,
    value: 10,
  });
});

test('CommonJS: exports.main', () => {
  assert.equal(resultOf('exports.main = (a) => [a.n];\n'), { present: true, value: [1] });
});

test('CommonJS: a plain top-level function main that is not exported', () => {
  assert.equal(resultOf("const os = require('node:os');\nfunction main(a) { return typeof os.cpus; }\n"), {
    present: true,
    value: 'function',
  });
});

test('CommonJS: "use strict" stays in force', () => {
  const r = report({ source: '"use strict";\nfunction main() { undeclared = 1; }\n' });
  assert.is(r.exitCode, 1);
  assert.match(r.stderr, 'ReferenceError: undeclared is not defined');
});

test('ES module: export function main', () => {
  assert.equal(resultOf("import { EOL } from 'node:os';\nexport function main(a) { return EOL + a.n; }\n"), {
    present: true,
    value: '\n1',
  });
});

test('ES module: export default and top-level await', () => {
  assert.equal(resultOf('const v = await Promise.resolve(5);\nexport default (a) => v + a.n;\n'), {
    present: true,
    value: 6,
  });
});

test('ES module: an imported-style program with an unexported async main', () => {
  assert.equal(resultOf("import path from 'node:path';\nasync function main(a) { return path.sep; }\n"), {
    present: true,
    value: '/',
  });
});

test("the runner's own flags do not reach the program's eval Workers", () => {
  const source = [
    "const { Worker } = require('node:worker_threads');",
    'function main() {',
    '  const code = "require(\'node:worker_threads\').parentPort.postMessage(6 * 7)";',
    "  return new Promise((resolve, reject) => new Worker(code, { eval: true }).once('message', resolve).once('error', reject));",
    '}',
  ].join('\n');
  assert.equal(resultOf(source, { n: 1 }, UNGUARDED), { present: true, value: 42 });
});

test('a program without main runs as a script and has no result', () => {
  const r = report({ source: 'console.log([1, 2, 3].length);\n' });
  assert.is(r.exitCode, 0);
  assert.is(r.stdout, '3\n');
  assert.equal(r.result, { present: false });
});

test('a main that returns nothing reports null', () => {
  assert.equal(resultOf('function main() {}\n'), { present: true, value: null });
});

test('a return value whose JSON is over the cap exits 1 with both sizes', () => {
  const r = report({ source: 'function main() { return "x".repeat(300); }', maxOutputBytes: 200 });
  assert.is(r.exitCode, 1);
  assert.match(r.stderr, 'coderun: main() returned 302 bytes of JSON, over the limit of 200');
  assert.equal(r.result, { present: false });
});

test('an async main is awaited', () => {
  assert.equal(
    resultOf('async function main(a) { await new Promise((r) => setTimeout(r, 10)); return a; }'),
    {
      present: true,
      value: { n: 1 },
    },
  );
});

test('a throw exits 1 with the stack on stderr', () => {
  const r = report({ source: 'function main() {\n  throw new Error("boom");\n}\n' });
  assert.is(r.exitCode, 1);
  assert.match(r.stderr, /Error: boom\n {4}at main \(.*main\.js:2:9\)/);
  assert.equal(r.result, { present: false });
});

test('a rejected promise exits 1 with the stack on stderr', () => {
  const r = report({ source: 'async function main() {\n  await null;\n  throw new TypeError("nope");\n}\n' });
  assert.is(r.exitCode, 1);
  assert.match(r.stderr, /TypeError: nope\n {4}at main \(.*main\.js:3:9\)/);
});

test('a syntax error exits 1 with the line it is on', () => {
  const r = report({ source: 'function main( {\n  return 1;\n}\n' });
  assert.is(r.exitCode, 1);
  assert.match(r.stderr, /main\.js:2\n {2}return 1;\n/);
  assert.match(r.stderr, 'SyntaxError: ');
});

test('return values that are not JSON-serialisable exit 1 with a clear message', () => {
  for (const [value, reason] of [
    ['10n', 'BigInt'],
    ['(() => { const o = {}; o.self = o; return o; })()', 'circular'],
    ['() => 1', 'a function'],
  ] as const) {
    const r = report({ source: `function main() { return ${value}; }` });
    assert.is(r.exitCode, 1, value);
    assert.match(r.stderr, 'coderun: main() returned a value that is not JSON-serialisable: ');
    assert.match(r.stderr, reason);
    assert.equal(r.result, { present: false });
  }
});

test('the timeout kills the whole process group, grandchildren included', () => {
  const r = report(
    {
      source: [
        "const { spawn } = require('node:child_process');",
        "const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });",
        'console.log(child.pid);',
        'setInterval(() => {}, 1000);',
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

test('output past the cap is read, dropped and flagged, and the run still ends quickly', () => {
  const result = run({
    source: [
      'const mib = "x".repeat(2 ** 20);',
      'for (let i = 0; i < 50; i++) process.stdout.write(mib);',
      'process.stderr.write("é".repeat(10));',
    ].join('\n'),
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

test('stdout and stderr are captured separately', () => {
  const r = report({ source: 'console.log("out 1");\nconsole.error("err 1");\nconsole.log("out 2");\n' });
  assert.is(r.stdout, 'out 1\nout 2\n');
  assert.is(r.stderr, 'err 1\n');
});

test('a fake result line printed by the program cannot forge the result', () => {
  const fake = `${RESULT_MARKER}${JSON.stringify({ v: 1, exitCode: 0, result: { present: true, value: 'forged' } })}`;
  const r = report({
    source: `console.log(${JSON.stringify(fake)});\nconsole.log("__RAGFLOW_RESULT__:Zm9yZ2Vk");\nfunction main() { return "real"; }\n`,
  });
  assert.equal(r.result, { present: true, value: 'real' });
  assert.ok(r.stdout.startsWith(`${fake}\n`));
  assert.equal(ragflowEnvelope(r), { present: true, value: 'real', type: 'json' });
});

test('the last stdout line is the RAGFlow result line, on a line of its own', () => {
  const r = report({
    source: 'process.stdout.write("no newline");\nfunction main() { return { a: [1] }; }\n',
  });
  assert.is(r.stdout.split('\n')[0], 'no newline');
  assert.equal(ragflowEnvelope(r), { present: true, value: { a: [1] }, type: 'json' });
  assert.is(ragflowEnvelope(report({ source: 'console.log(1)' })), undefined);
});

test('arguments reach main through the job, never argv or the environment', () => {
  const r = report({
    source: [
      'function main({ token }) {',
      '  const leaked = Object.values(process.env).some((v) => v.includes(token)) ||',
      '    process.argv.some((a) => a.includes(token));',
      '  return { leaked, argv: process.argv.length, cwd: process.cwd() === process.env.CODERUN_WORKDIR };',
      '}',
    ].join('\n'),
    arguments: { token: 's3cret-argument' },
  });
  assert.equal(r.result, { present: true, value: { leaked: false, argv: 2, cwd: true } });
});

test('closing the result channel ends the run with an explanation, not a crash', () => {
  const r = report({ source: "require('node:fs').closeSync(3);\nfunction main() { return 1; }\n" });
  assert.is(r.exitCode, 1);
  assert.match(r.stderr, 'coderun: could not deliver the value main() returned');
  assert.equal(r.result, { present: false });
});

test('a malformed job exits 2 with the reason on stderr', () => {
  const notJson = runRunner(RUNNER, 'not json\n');
  assert.is(notJson.status, 2);
  assert.match(notJson.stderr, 'not valid JSON');
  assert.is(notJson.stdout, '');
  const wrongLanguage = runRunner(RUNNER, jobLine('python', { source: '' }));
  assert.is(wrongLanguage.status, 2);
  assert.match(wrongLanguage.stderr, "this runner serves 'nodejs'");
  const badArguments = runRunner(
    RUNNER,
    `${JSON.stringify({ v: 1, language: 'nodejs', source: '', arguments: [] })}\n`,
  );
  assert.is(badArguments.status, 2);
  assert.match(badArguments.stderr, "'arguments' must be a JSON object, got []");
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
  const r = report({ source: 'function main() { return 1; }' });
  assert.ok(r.durationMs < 1000, `durationMs ${r.durationMs}`);
});

test('artifacts/ exists before the program runs, so writing artifacts/out.csv succeeds', () => {
  const r = report({
    source: [
      "const fs = require('node:fs');",
      "fs.writeFileSync('artifacts/out.csv', 'a,b\\n1,2\\n');",
      'function main() {',
      "  const stat = fs.lstatSync('artifacts');",
      "  return { dir: stat.isDirectory(), mode: stat.mode & 0o777, size: fs.statSync('artifacts/out.csv').size };",
      '}',
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
        jobLine('nodejs', {
          source: "function main() { return require('node:fs').readlinkSync('artifacts'); }",
        }),
        {},
        (workdir) => symlinkSync(target, join(workdir, 'artifacts')),
      ),
    );
    assert.equal(link.result, { present: true, value: target });
    assert.not.ok(existsSync(target), 'the runner created the link target');
    const file = reportOf(
      runRunner(
        RUNNER,
        jobLine('nodejs', {
          source: "function main() { return require('node:fs').readFileSync('artifacts', 'utf8'); }",
        }),
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
  test(`artifacts: ${c.name}`, () => checkArtifactCase(RUNNER, 'nodejs', c));
}

test('with an artifact and artifactHoldMs the runner stays alive after its result line, tar reads the file, and SIGTERM ends it at once with code 0', () =>
  checkHoldUntilSigterm(RUNNER, 'nodejs'));

test('the artifact hold ends by itself after artifactHoldMs', () => checkHoldEndsByItself(RUNNER, 'nodejs'));

test('a run without artifacts does not hold, whatever artifactHoldMs says', () =>
  checkNoHoldWithoutArtifacts(RUNNER, 'nodejs'));

test('a job without artifactHoldMs does not hold', () => checkNoHoldWithoutTheField(RUNNER, 'nodejs'));

test('an artifactHoldMs that is not a non-negative integer is a malformed job', () => {
  const r = runRunner(RUNNER, jobLine('nodejs', { source: '', artifactHoldMs: -1 }));
  assert.is(r.status, 2);
  assert.match(r.stderr, "'artifactHoldMs' must be a non-negative integer, got -1");
});

const HELLO = 'console.log("hello");';
// Touches every page, so the 200 MiB are resident, not merely reserved.
const FILL_200_MIB = 'Buffer.alloc(200 * 2 ** 20).fill(1);';

function memoryKb(fields: JobFields, runner = RUNNER): number {
  const r = report(fields, runner);
  assert.ok(r.memoryKb !== undefined, 'the report has memoryKb');
  return r.memoryKb ?? 0;
}

test('a hello world reports a plausible peak memory', () => {
  const kb = memoryKb({ source: HELLO });
  assert.ok(kb > 1_000 && kb < 200_000, `memoryKb ${kb}`);
});

test('a filled 200 MiB Buffer adds at least 150,000 KiB to the peak memory of a hello world', () => {
  const hello = memoryKb({ source: HELLO });
  const big = memoryKb({ source: FILL_200_MIB });
  assert.ok(big - hello >= 150_000, `hello world ${hello} KiB, 200 MiB program ${big} KiB`);
});

test('a child process the program started counts in its peak memory (sampled while it runs)', () => {
  const hello = memoryKb({ source: HELLO });
  // The child holds its memory for 300 ms: the runner samples the group every 50 ms.
  const child = `${FILL_200_MIB} Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);`;
  const big = memoryKb(
    {
      source: `require('node:child_process').spawnSync(process.execPath, ['-e', ${JSON.stringify(child)}]);`,
    },
    UNGUARDED,
  );
  assert.ok(big - hello >= 150_000, `hello world ${hello} KiB, program with a 200 MiB child ${big} KiB`);
});

test('a program killed at its timeout still reports its peak memory', () => {
  const hello = memoryKb({ source: HELLO });
  const r = report({ source: `${FILL_200_MIB}\nsetInterval(() => {}, 1000);`, timeoutMs: 1500 });
  assert.is(r.timedOut, true);
  assert.ok(
    (r.memoryKb ?? 0) - hello >= 150_000,
    `hello world ${hello} KiB, killed program ${r.memoryKb} KiB`,
  );
});

test.run();
