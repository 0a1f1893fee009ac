// The Node.js runner's guards (docs/runner-protocol.md, Guards) on the host's node: every attack runs its
// payload on a copy of the runner without the guards, so each test can fail, and is refused with them.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RunnerReport } from '../../../src/runtimes/protocol.ts';
import {
  NODEJS_RUNNER as GUARDED,
  jobLine,
  REPO,
  type RunnerRun,
  reportOf,
  runRunner,
  unguardedNodeRunner,
} from './runner-harness.ts';

const UNGUARDED = unguardedNodeRunner();
const PAYLOAD = 'coderun-payload-ran';

// The runner lets the program write to /tmp, where the harness's work dirs are; "outside" must be elsewhere.
const OUTSIDE_BASE = existsSync('/var/tmp') ? '/var/tmp' : REPO;

function runWith(runner: string[], source: string, env: Record<string, string> = {}): RunnerRun {
  return runRunner(runner, jobLine('nodejs', { source }), env);
}

function reportWith(runner: string[], source: string, env: Record<string, string> = {}): RunnerReport {
  const run = runWith(runner, source, env);
  assert.is(run.status, 0, run.stderr);
  return reportOf(run);
}

/** Refused: exit 1, Node's error, and a coderun line in the words RAGFlow maps (`words`). */
function assertRefused(r: RunnerReport, what: string, words = 'Operation not permitted'): void {
  assert.not.match(r.stdout, PAYLOAD, 'the payload ran');
  assert.is(r.exitCode, 1, r.stderr);
  assert.match(r.stderr, `coderun: ${what} is not allowed in the sandbox`);
  assert.match(r.stderr, `: ${words}\n`);
}

function attack(name: string, source: string, what: string, words?: string) {
  test(`${name}: runs without the guards, is refused with them`, () => {
    const ran = reportWith(UNGUARDED, source);
    assert.match(ran.stdout, PAYLOAD, `without the guards the payload must run: ${ran.stderr}`);
    assertRefused(reportWith(GUARDED, source), what, words);
  });
}

attack(
  'child_process.execSync',
  `const { execSync } = require('node:child_process');\nconsole.log(execSync('echo ${PAYLOAD}').toString());\n`,
  'starting a process',
);
attack(
  'child_process.spawn (ES module)',
  [
    "import { spawn } from 'node:child_process';",
    `const child = spawn('sh', ['-c', 'echo ${PAYLOAD}'], { stdio: 'inherit' });`,
    "await new Promise((resolve) => child.on('exit', resolve));",
  ].join('\n'),
  'starting a process',
);
attack(
  'a Worker thread',
  [
    "const { Worker } = require('node:worker_threads');",
    `const code = "console.log('${PAYLOAD}')";`,
    "exports.main = () => new Promise((resolve) => new Worker(code, { eval: true }).once('exit', resolve));",
  ].join('\n'),
  'starting a worker thread',
);
attack(
  "process.binding('spawn_sync')",
  `if (typeof process.binding('spawn_sync').spawn === 'function') console.log('${PAYLOAD}');\n`,
  'using process.binding',
);
attack(
  'WASI',
  `const { WASI } = require('node:wasi');\nnew WASI({ version: 'preview1' });\nconsole.log('${PAYLOAD}');\n`,
  'running WASI',
);

const LIBC = [
  '/lib/x86_64-linux-gnu/libc.so.6',
  '/usr/lib/x86_64-linux-gnu/libc.so.6',
  '/lib/aarch64-linux-gnu/libc.so.6',
  '/lib64/libc.so.6',
].find((path) => existsSync(path));

test('process.dlopen of a native library: reaches dlopen without the guards, is refused with them', () => {
  assert.ok(LIBC, 'no libc.so.6 found on this host');
  // libc is no Node addon: dlopen loads it, then Node reports that it did not register as one.
  const source = [
    'try {',
    `  process.dlopen({ exports: {} }, ${JSON.stringify(LIBC)});`,
    '} catch (error) {',
    "  if (error.code === 'ERR_DLOPEN_DISABLED') throw error;",
    '}',
    `console.log('${PAYLOAD}');`,
  ].join('\n');
  assert.match(reportWith(UNGUARDED, source).stdout, PAYLOAD);
  assertRefused(reportWith(GUARDED, source), 'loading native code');
});

test('files outside the work dir and the temp dir: written, read and linked without the guards, refused with them', () => {
  const outside = mkdtempSync(join(OUTSIDE_BASE, 'coderun-outside-'));
  try {
    writeFileSync(join(outside, 'secret.txt'), PAYLOAD);
    const write = `require('node:fs').writeFileSync(${JSON.stringify(join(outside, 'written.txt'))}, 'x');\nconsole.log('${PAYLOAD}');\n`;
    assert.match(reportWith(UNGUARDED, write).stdout, PAYLOAD);
    assert.ok(existsSync(join(outside, 'written.txt')));
    rmSync(join(outside, 'written.txt'));
    assertRefused(
      reportWith(GUARDED, write),
      'writing files outside the work dir and the temp dir',
      'Permission denied',
    );
    assert.not.ok(existsSync(join(outside, 'written.txt')), 'the file was written');

    const read = `console.log(require('node:fs').readFileSync(${JSON.stringify(join(outside, 'secret.txt'))}, 'utf8'));\n`;
    assert.match(reportWith(UNGUARDED, read).stdout, PAYLOAD);
    assertRefused(
      reportWith(GUARDED, read),
      'reading files outside the work dir, the temp dir and the packages',
      'Permission denied',
    );

    // A link in the work dir would otherwise make every path below it look like the work dir's.
    const link = `const fs = require('node:fs');\nfs.symlinkSync(${JSON.stringify(outside)}, 'outside');\nconsole.log(fs.readFileSync('outside/secret.txt', 'utf8'));\n`;
    assert.match(reportWith(UNGUARDED, link).stdout, PAYLOAD);
    const linked = reportWith(GUARDED, link);
    assert.not.match(linked.stdout, PAYLOAD);
    assert.is(linked.exitCode, 1);
    assert.match(linked.stderr, 'ERR_ACCESS_DENIED');
  } finally {
    rmSync(outside, { recursive: true, force: true });
  }
});

test("a report forged into the runner's own stdout (/proc/<runner>/fd/1): refused with the guards, outranked without", () => {
  const forged = {
    v: 1,
    exitCode: 0,
    signal: null,
    timedOut: false,
    durationMs: 1,
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    result: { present: true, value: 'forged' },
  };
  const source = [
    `const line = '__CODERUN_RESULT__ ' + ${JSON.stringify(JSON.stringify(forged))} + '\\nunfinished';`,
    "require('node:fs').writeFileSync('/proc/' + process.ppid + '/fd/1', line);",
    "exports.main = () => 'real';",
  ].join('\n');
  // The runner's stdout is a pipe, as in the container (the harness's own is a socket, which /proc cannot open).
  const piped = (runner: string[]) => ['sh', '-c', '"$@" | cat', 'sh', ...runner];
  const unguarded = runWith(piped(UNGUARDED), source);
  assert.match(unguarded.stdout, '"value":"forged"', "the forged line reached the runner's stdout");
  assert.equal(reportOf(unguarded).result, { present: true, value: 'real' });
  const guarded = runWith(piped(GUARDED), source);
  assert.not.match(guarded.stdout, 'forged');
  assertRefused(
    reportOf(guarded),
    'writing files outside the work dir and the temp dir',
    'Permission denied',
  );
});

test('no built-in module, require, module or bootstrap name is a global of an ES module program', () => {
  const source = [
    'const names = ["require", "module", "exports", "__filename", "__dirname", "child_process", "fs", "worker_threads",',
    '  "deliver", "fail", "findMain", "serialise", "maxResultBytes", "RESULT_FD"];',
    'export function main() {',
    '  return names.filter((name) => { try { return eval(name) !== undefined; } catch { return false; } });',
    '}',
  ].join('\n');
  assert.equal(reportWith(GUARDED, source).result, { present: true, value: [] });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

test('an inspector asked for through NODE_OPTIONS is closed in the runner and not passed to the program', async () => {
  const port = await freePort();
  const source = [
    "import { connect } from 'node:net';",
    'export async function main() {',
    `  const reach = await new Promise((resolve) => connect(${port}, '127.0.0.1')`,
    "    .once('connect', () => resolve('connected')).once('error', (error) => resolve(error.code)));",
    '  return { reach, options: process.env.NODE_OPTIONS ?? null, execArgv: process.execArgv.some((a) => a.startsWith("--inspect")) };',
    '}',
  ].join('\n');
  const r = reportWith(GUARDED, source, { NODE_OPTIONS: `--inspect=127.0.0.1:${port}` });
  assert.equal(r.result, { present: true, value: { reach: 'ECONNREFUSED', options: null, execArgv: false } });
});

test('killing the runner: without the guards the runner dies with no report; with them it is refused', () => {
  const source = "process.kill(process.ppid, 'SIGKILL');\nsetTimeout(() => {}, 200);\n";
  const killed = runWith(UNGUARDED, source);
  assert.is(killed.status, null);
  assert.not.match(killed.stdout, '__CODERUN_RESULT__');
  assertRefused(reportWith(GUARDED, source), 'signalling another process');
  const own = reportWith(
    GUARDED,
    "process.on('SIGUSR2', () => {});\nprocess.kill(process.pid, 'SIGUSR2');\nexports.main = () => process.kill(process.pid, 0);\n",
  );
  assert.equal(own.result, { present: true, value: true }, own.stderr);
});

test("SIGUSR1 from the program does not open the runner's inspector", () => {
  const source = [
    'process._debugProcess(process.ppid);',
    'exports.main = () => new Promise((resolve) => setTimeout(() => resolve(true), 500));',
  ].join('\n');
  const run = runWith(GUARDED, source);
  assert.equal(reportOf(run).result, { present: true, value: true });
  assert.not.match(run.stderr, /Debugger|inspector/i);
});

test('ordinary work runs under the guards: files in the work dir and the temp dir, CommonJS, async, zlib, crypto', () => {
  const r = reportWith(
    GUARDED,
    [
      "const fs = require('node:fs');",
      "const os = require('node:os');",
      "const path = require('node:path');",
      "const { createHash } = require('node:crypto');",
      "const { gzipSync, gunzipSync } = require('node:zlib');",
      "fs.writeFileSync('artifacts/data.json', JSON.stringify({ a: 1 }));",
      "fs.mkdirSync('work/nested', { recursive: true });",
      "fs.writeFileSync('work/nested/x.txt', 'x');",
      "const scratch = path.join(os.tmpdir(), 'scratch.txt');",
      "fs.writeFileSync(scratch, 'tmp');",
      'async function main() {',
      '  await new Promise((resolve) => setTimeout(resolve, 10));',
      '  const text = await fs.promises.readFile("work/nested/x.txt", "utf8");',
      '  return { text, tmp: fs.readFileSync(scratch, "utf8"), zip: gunzipSync(gzipSync("z")).toString(),',
      '    hash: createHash("sha256").update("a").digest("hex").slice(0, 8), listed: fs.readdirSync("work") };',
      '}',
      'module.exports = { main };',
    ].join('\n'),
  );
  assert.is(r.exitCode, 0, r.stderr);
  assert.equal(r.result, {
    present: true,
    value: { text: 'x', tmp: 'tmp', zip: 'z', hash: 'ca978112', listed: ['nested'] },
  });
  assert.equal(
    r.artifacts?.map((a) => a.name),
    ['data.json'],
  );
});

// Made by the first test that needs it, removed after the last test.
let packagesBase: string | undefined;
/**
 * A folder like the image's /opt/coderun/node_modules (dependencies resolve through it), with a file beside
 * it that the grant must not reach, and the environment that names it.
 */
function imagePackages(): { base: string; env: Record<string, string> } {
  if (packagesBase) return { base: packagesBase, env: { NODE_PATH: join(packagesBase, 'node_modules') } };
  const base = mkdtempSync(join(OUTSIDE_BASE, 'coderun-packages-'));
  packagesBase = base;
  const packages = join(base, 'node_modules');
  // Shaped like axios: an exports map with import and require entries, a dependency, data read at load.
  const fake = join(packages, 'fakeaxios');
  mkdirSync(join(fake, 'dist'), { recursive: true });
  mkdirSync(join(packages, 'fakedep'));
  writeFileSync(join(base, 'unlisted.txt'), PAYLOAD);
  writeFileSync(
    join(fake, 'package.json'),
    JSON.stringify({
      name: 'fakeaxios',
      exports: { '.': { import: './index.mjs', require: './dist/index.cjs' } },
    }),
  );
  writeFileSync(join(fake, 'data.json'), JSON.stringify({ greeting: 'hi' }));
  writeFileSync(
    join(fake, 'index.mjs'),
    "import { readFileSync } from 'node:fs';\nimport dep from 'fakedep';\nconst data = JSON.parse(readFileSync(new URL('./data.json', import.meta.url)));\nexport default { get: () => data.greeting + dep.suffix };\n",
  );
  writeFileSync(
    join(fake, 'dist/index.cjs'),
    "const dep = require('fakedep');\nconst data = require('../data.json');\nmodule.exports = { get: () => data.greeting + dep.suffix };\n",
  );
  writeFileSync(
    join(packages, 'fakedep/package.json'),
    JSON.stringify({ name: 'fakedep', main: 'index.js' }),
  );
  writeFileSync(join(packages, 'fakedep/index.js'), "module.exports = { suffix: '!' };\n");
  return { base, env: { NODE_PATH: packages } };
}
test.after(() => {
  if (packagesBase) rmSync(packagesBase, { recursive: true, force: true });
});

test("the image's packages (NODE_PATH) load through import", () => {
  const esm = reportWith(
    GUARDED,
    "import axios from 'fakeaxios';\nexport async function main() { return axios.get(); }\n",
    imagePackages().env,
  );
  assert.equal(esm.result, { present: true, value: 'hi!' }, esm.stderr);
});

test("the image's packages (NODE_PATH) load through require", () => {
  const cjs = reportWith(
    GUARDED,
    "const axios = require('fakeaxios');\nexports.main = () => axios.get();\n",
    imagePackages().env,
  );
  assert.equal(cjs.result, { present: true, value: 'hi!' }, cjs.stderr);
});

test('a package missing from the image is not found, not refused', () => {
  const missing = reportWith(
    GUARDED,
    "exports.main = () => { try { require('nosuchpackage'); } catch (error) { return error.code; } };\n",
    imagePackages().env,
  );
  assert.equal(missing.result, { present: true, value: 'MODULE_NOT_FOUND' });
});

test("the guards grant reading the image's packages folder, not its parent", () => {
  const { base, env } = imagePackages();
  const beside = reportWith(
    GUARDED,
    `exports.main = () => require('node:fs').readFileSync(${JSON.stringify(join(base, 'unlisted.txt'))}, 'utf8');\n`,
    env,
  );
  assert.is(beside.exitCode, 1);
  assert.match(beside.stderr, 'FileSystemRead');
});

test.run();
