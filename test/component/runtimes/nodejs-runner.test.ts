// The Node.js runner (sandbox_base_image/nodejs/runner.mjs) on the host's node, built-in modules only
// (`require('axios')` needs the image's packages; the end-to-end tier covers it): what is Node's own. What
// every runner must do is in the conformance table (conformance.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  isAlive,
  type JobFields,
  jobLine,
  killIfAlive,
  NODEJS_RUNNER as RUNNER,
  reportOf,
  runRunner,
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

test('a main that returns nothing reports null', () => {
  assert.equal(resultOf('function main() {}\n'), { present: true, value: null });
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

const HELLO = 'console.log("hello");';
// Touches every page, so the 200 MiB are resident, not merely reserved.
const FILL_200_MIB = 'Buffer.alloc(200 * 2 ** 20).fill(1);';

function memoryKb(fields: JobFields, runner = RUNNER): number {
  const r = report(fields, runner);
  assert.ok(r.memoryKb !== undefined, 'the report has memoryKb');
  return r.memoryKb ?? 0;
}

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

test('a CODERUN_PROGRAM_FILE that is not a plain file name ends the runner with 4 before any job', () => {
  const result = runRunner(RUNNER, jobLine('nodejs', { source: '' }), { CODERUN_PROGRAM_FILE: 'a/main.js' });
  assert.is(result.status, 4);
  assert.is(result.stdout, '');
  assert.match(
    result.stderr,
    'CODERUN_PROGRAM_FILE must be a plain file name such as main.js, got "a/main.js"',
  );
});

const TYPESCRIPT = { CODERUN_RUNTIME: 'typescript', CODERUN_PROGRAM_FILE: 'main.ts' };

test('TypeScript: told so, the runner runs main.ts with its types stripped, and nothing on stderr', () => {
  const source =
    'interface In { n: number }\nexport const main = ({ n }: In): number => n satisfies number;\n';
  const result = runRunner(RUNNER, jobLine('typescript', { source, arguments: { n: 3 } }), TYPESCRIPT);
  assert.is(result.status, 0, result.stderr);
  const r = reportOf(result);
  assert.equal([r.exitCode, r.stderr, r.result], [0, '', { present: true, value: 3 }]);
});

test("TypeScript: syntax that is not erasable (enum) exits 1 with Node's error", () => {
  const source = 'enum Colour { Red }\nexport function main() { return Colour.Red; }\n';
  const r = reportOf(runRunner(RUNNER, jobLine('typescript', { source }), TYPESCRIPT));
  assert.is(r.exitCode, 1);
  assert.match(r.stderr, 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX');
});

test('TypeScript: the runner told it serves typescript refuses a nodejs job', () => {
  const result = runRunner(RUNNER, jobLine('nodejs', { source: '' }), TYPESCRIPT);
  assert.is(result.status, 2);
  assert.match(result.stderr, `this runner serves 'typescript', not "nodejs"`);
});

test.run();
