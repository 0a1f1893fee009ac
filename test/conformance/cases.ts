// The runner conformance table: what docs/runner-protocol.md asks of a runner, as cases any runtime can be
// put through. The component tier runs it against coderun's Python and Node.js runners on the host's
// interpreters (test/component/runtimes/conformance.test.ts); `make runtime-check IMAGE=...` runs it against an
// image's entry point under gVisor (runtime-check.ts). A case's programs are named, not written here: each
// language has a folder with one file per name (programs/<language>/<name>.<ext>, PROGRAMS below says what
// each must do), so a new language brings its own folder and the same cases apply.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, parse } from 'node:path';
import { RESULT_MARKER, type RunnerReport } from '../../src/runtimes/protocol.ts';
import {
  ARTIFACT_CASES,
  type ArtifactCase,
  buildArtifactFiles,
  checkArtifactReport,
  existing,
  watchedPaths,
} from './artifacts.ts';
import { type Attempt, attempt, type Outcome, type Runtime, reportOf, type Started } from './runtime.ts';

/** The programs a language's folder holds, by name, and what each must do. Arguments arrive as main's. */
export const PROGRAMS = {
  echo: 'main(stdout = "", stderr = "", value = null): writes stdout and stderr as given (no newline added), returns value',
  script: 'no main; its top-level code prints the line "10"',
  exit: 'main(code): ends the program with exit code `code`',
  throws: 'main(): raises an uncaught error whose message is "boom"',
  'kill-self': 'top-level code: sends SIGKILL to its own process',
  sleep: 'top-level code: waits for 1000 s',
  flood: 'main(bytes): writes `bytes` bytes "x" to stdout, then "é" 10 times to stderr',
  async: 'main(n): asynchronous (a coroutine, a promise); waits 10 ms, returns [n, null]',
  'not-json': 'main(): returns a value that has no JSON form',
  environment:
    'main(token): returns {"leaked": whether token is in any environment variable or argument, "cwd": the current directory}',
  'write-files': 'main(files): writes each {name: text} of files, name relative to the current directory',
  'inspect-artifacts':
    'main(): what "artifacts" in the current directory is, by lstat: {"type": "missing"}, {"type": "link", "target"}, {"type": "dir", "mode": permission bits}, {"type": "file", "content": its text}',
  'closes-result-channel':
    "coderun's runners only: closes the file descriptors from 3 up at the top, then main() returns 1",
  'after-main':
    'main(): returns 1 and leaves work behind: 50 ms later a thread (Node.js: a timer) prints the line "later", an exit hook (atexit, process "exit") then prints the line "exit", and left-open.txt, opened at the top and never closed, holds "kept"',
  allocate:
    'main(mib, sleep = false): allocates and fills mib MiB, prints the line "allocated"; with sleep, then waits for 1000 s; returns true',
} as const;
export type ProgramName = keyof typeof PROGRAMS;

/** A language's programs: the files of `dir`, by name without the extension. */
export function loadPrograms(dir: string): Map<string, string> {
  return new Map(readdirSync(dir).map((file) => [parse(file).name, readFileSync(join(dir, file), 'utf8')]));
}

/** coderun's own runners and their programs. */
export const PROGRAMS_DIR = join(import.meta.dirname, 'programs');

/** What a case runs against. */
export interface Trial {
  runtime: Runtime;
  programs: ReadonlyMap<string, string>;
  /** coderun's own runner: its exact messages are checked too, not only what the protocol asks. */
  ours: boolean;
}

export interface ConformanceCase {
  name: string;
  /** The programs it runs; a runtime without one of them skips the case. */
  programs: ProgramName[];
  check(t: Trial): Promise<void>;
}

interface JobFields {
  arguments?: Record<string, unknown>;
  timeoutMs?: number;
  maxOutputBytes?: number;
  artifactHoldMs?: number;
  holdMs?: number;
}

export function jobLine(language: string, source: string, fields: JobFields = {}): string {
  const job = {
    v: 1,
    language,
    source,
    arguments: {},
    timeoutMs: 10_000,
    maxOutputBytes: 64 * 1024,
    ...fields,
  };
  return `${JSON.stringify(job)}\n`;
}

function programJob(t: Trial, program: ProgramName, fields: JobFields = {}): string {
  const source = t.programs.get(program);
  if (source === undefined) throw new Error(`no program ${program}`);
  return jobLine(t.runtime.language, source, fields);
}

/** Runs `program` as a job; the runner must end with 0 and a result line. */
async function run(
  t: Trial,
  program: ProgramName,
  fields: JobFields = {},
  extra: Omit<Attempt, 'input'> = {},
): Promise<{ report: RunnerReport; outcome: Outcome }> {
  const outcome = await attempt(t.runtime, { ...extra, input: programJob(t, program, fields) });
  assert.equal(outcome.status, 0, `the runner exited with ${outcome.status}: ${outcome.stderr}`);
  return { report: reportOf(outcome), outcome };
}

async function report(t: Trial, program: ProgramName, fields: JobFields = {}): Promise<RunnerReport> {
  return (await run(t, program, fields)).report;
}

/** A runner refusing its input: `code`, nothing on stdout, the reason on stderr (coderun's wording: `ours`). */
async function refused(t: Trial, a: Attempt, code: number, ours: string): Promise<Outcome> {
  const outcome = await attempt(t.runtime, a);
  assert.equal(outcome.status, code, outcome.stderr);
  assert.equal(outcome.stdout, '');
  assert.notEqual(outcome.stderr.trim(), '', 'the reason is on stderr');
  if (t.ours) assert.ok(outcome.stderr.includes(ours), outcome.stderr);
  return outcome;
}

/** A job that must be refused as malformed (exit 2) with the job line `job`. */
function malformed(name: string, job: (t: Trial) => string, ours: (t: Trial) => string): ConformanceCase {
  return {
    name: `a malformed job exits 2 with the reason on stderr: ${name}`,
    programs: [],
    check: async (t) => {
      await refused(t, { input: job(t) }, 2, ours(t));
    },
  };
}

/** A job with an empty program and `fields` over the defaults, which may break the protocol on purpose. */
function job(t: Trial, fields: Record<string, unknown>): string {
  return jobLine(t.runtime.language, '', fields as JobFields);
}

const EXIT_PROGRAM: Record<ArtifactCase['program'], [ProgramName, JobFields]> = {
  exit0: ['script', {}],
  exit1: ['exit', { arguments: { code: 1 } }],
  timeout: ['sleep', { timeoutMs: 1000 }],
  signal: ['kill-self', {}],
};

function artifactCase(c: ArtifactCase): ConformanceCase {
  const [program, fields] = EXIT_PROGRAM[c.program];
  return {
    name: `artifacts: ${c.name}`,
    programs: [program],
    check: async (t) => {
      let present = new Set<string>();
      const { report: r } = await run(t, program, fields, {
        prepare: (workdir) => buildArtifactFiles(workdir, c),
        inspect: (workdir) => {
          present = existing(workdir, watchedPaths(c));
        },
      });
      checkArtifactReport(c, r, present);
    },
  };
}

/** Writes out.csv at the top of the work dir, which the runner promotes into artifacts/. */
const ONE_ARTIFACT = { files: { 'out.csv': 'a,b\n1,2\n' } };

const HELLO_KB_AT_MOST = 200_000;
const TWO_HUNDRED_MIB_ADDS_AT_LEAST = 150_000;

/** A bound on time the program spends in the runtime (durationMs, its own timeouts), in ms. */
function inRuntime(t: Trial, hostMs: number): number {
  return hostMs * t.runtime.slowdown;
}

/** A bound on the wall-clock time of an attempt seen from outside, in ms. */
function fromOutside(t: Trial, hostMs: number): number {
  return hostMs * t.runtime.slowdown + t.runtime.sandboxMs;
}

/**
 * Starts a job whose runner holds after its result line: `during` looks at the report and the work dir
 * while it holds; then SIGTERM must end the runner at once, with code 0. The runner never outlives the case.
 */
async function holdsUntilSigterm(
  t: Trial,
  input: string,
  during: (r: RunnerReport, started: Started) => void,
): Promise<void> {
  const started = t.runtime.start({ input });
  try {
    const r = await started.report;
    const holding = await Promise.race([
      started.ended.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 300)),
    ]);
    assert.ok(holding, 'the runner ended before the hold was over');
    during(r, started);
    const sent = performance.now();
    await started.signal('SIGTERM');
    const ended = await started.ended;
    assert.equal(ended.status, 0);
    const tookMs = ended.at - sent;
    assert.ok(tookMs < fromOutside(t, 100), `took ${Math.round(tookMs)} ms to end after SIGTERM`);
  } finally {
    await started.signal('SIGKILL').catch(() => {});
    await started.ended.catch(() => {});
  }
}

/** The memoryKb of a report: required of coderun's runners, optional in the protocol (undefined: skip). */
function memoryKb(t: Trial, r: RunnerReport): number | undefined {
  if (t.ours) assert.ok(r.memoryKb !== undefined, 'the report has memoryKb');
  return r.memoryKb;
}

export const CASES: ConformanceCase[] = [
  {
    name: "the program is written to the runtime's program file (CODERUN_PROGRAM_FILE) and runs from there",
    programs: ['echo'],
    check: async (t) => {
      let written: string | undefined;
      const source = t.programs.get('echo') ?? '';
      const { report: r } = await run(
        t,
        'echo',
        { arguments: { value: 1 } },
        {
          inspect: (workdir) => {
            const path = join(workdir, t.runtime.programFile);
            written = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
          },
        },
      );
      assert.deepEqual(r.result, { present: true, value: 1 });
      assert.ok(written !== undefined, `no ${t.runtime.programFile} in the work dir`);
      // A runner may add to the program (coderun's prepend a line's worth); the program itself is there.
      assert.ok(written.includes(source.trim()), `${t.runtime.programFile} holds the program`);
    },
  },
  {
    name: "main is called with the job's arguments and its value comes back as the result",
    programs: ['echo'],
    check: async (t) => {
      const r = await report(t, 'echo', {
        arguments: { stdout: 'hello\n', value: { sum: 42, text: 'é' } },
      });
      assert.equal(r.v, 1);
      assert.equal(r.exitCode, 0);
      assert.equal(r.signal, null);
      assert.equal(r.timedOut, false);
      assert.deepEqual(r.result, { present: true, value: { sum: 42, text: 'é' } });
      assert.equal(r.stdout, 'hello\n');
    },
  },
  {
    name: "the report's timings, when there are any, place the runner's steps in order on its clocks",
    programs: ['echo'],
    check: async (t) => {
      const before = Date.now();
      const r = await report(t, 'echo', { arguments: { stdout: '', value: 1 } });
      const after = Date.now();
      if (t.ours) assert.ok(r.timings !== undefined, 'the report has timings');
      if (!r.timings) return;
      const { jobReceivedAt, programStartedMs, programEndedMs, reportMs } = r.timings;
      // The wall clock in the sandbox is the host's; a second either way allows for a runtime's own.
      assert.ok(
        jobReceivedAt >= before - 1000 && jobReceivedAt <= after + 1000,
        `jobReceivedAt ${jobReceivedAt}`,
      );
      const steps = [programStartedMs, programEndedMs, reportMs].filter((ms) => ms !== undefined);
      if (t.ours) assert.equal(steps.length, 3, 'the report has every step');
      assert.deepEqual(
        steps,
        [...steps].sort((a, b) => a - b),
        'program started, program ended, report ready',
      );
      if (programStartedMs !== undefined && programEndedMs !== undefined)
        assert.ok(programEndedMs - programStartedMs >= r.durationMs - 1, 'the program ran within its steps');
    },
  },
  {
    name: 'what a program leaves behind when main returns finishes before it ends, as in its interpreter',
    programs: ['after-main'],
    check: async (t) => {
      let leftOpen = '';
      const { report: r } = await run(
        t,
        'after-main',
        {},
        {
          inspect: (workdir) => {
            leftOpen = readFileSync(join(workdir, 'left-open.txt'), 'utf8');
          },
        },
      );
      assert.equal(r.exitCode, 0);
      assert.deepEqual(r.result, { present: true, value: 1 });
      assert.equal(r.stdout, 'later\nexit\n');
      assert.equal(leftOpen, 'kept');
    },
  },
  {
    name: "stdout is the program's own, byte for byte: nothing is added for the result",
    programs: ['echo'],
    check: async (t) => {
      const r = await report(t, 'echo', { arguments: { stdout: 'no newline', value: { a: [1] } } });
      assert.equal(r.stdout, 'no newline');
      assert.deepEqual(r.result, { present: true, value: { a: [1] } });
    },
  },
  {
    name: 'a program without main runs as a script and has no result',
    programs: ['script'],
    check: async (t) => {
      const r = await report(t, 'script');
      assert.equal(r.exitCode, 0);
      assert.equal(r.stdout, '10\n');
      assert.deepEqual(r.result, { present: false });
    },
  },
  {
    name: 'stdout and stderr are captured separately',
    programs: ['echo'],
    check: async (t) => {
      const r = await report(t, 'echo', { arguments: { stdout: 'out 1\nout 2\n', stderr: 'err 1\n' } });
      assert.equal(r.stdout, 'out 1\nout 2\n');
      assert.equal(r.stderr, 'err 1\n');
    },
  },
  {
    name: 'a result line or RAGFlow line printed by the program cannot forge the result',
    programs: ['echo'],
    check: async (t) => {
      const fake = `${RESULT_MARKER}${JSON.stringify({ v: 1, exitCode: 0, result: { present: true, value: 'forged' } })}`;
      const { report: r, outcome } = await run(t, 'echo', {
        arguments: { stdout: `${fake}\n__RAGFLOW_RESULT__:Zm9yZ2Vk\n`, value: 'real' },
      });
      assert.deepEqual(r.result, { present: true, value: 'real' });
      assert.equal(r.stdout, `${fake}\n__RAGFLOW_RESULT__:Zm9yZ2Vk\n`);
      const lines = outcome.stdout.split('\n').filter((line) => line.startsWith(RESULT_MARKER));
      assert.equal(lines.length, 1, "the runner's stdout has one line that starts with the marker");
    },
  },
  {
    name: 'arguments reach main through the job, never argv or the environment; the program runs in the work dir',
    programs: ['environment'],
    check: async (t) => {
      let workdir = '';
      const { report: r } = await run(
        t,
        'environment',
        { arguments: { token: 's3cret-argument' } },
        {
          prepare: (dir) => {
            workdir = t.runtime.programWorkdir(dir);
          },
        },
      );
      assert.deepEqual(r.result, { present: true, value: { leaked: false, cwd: workdir } });
    },
  },
  {
    name: "the program's exit code is reported, with no result and no artifact lists",
    programs: ['exit'],
    check: async (t) => {
      const r = await report(t, 'exit', { arguments: { code: 3 } });
      assert.equal(r.exitCode, 3);
      assert.equal(r.signal, null);
      assert.equal(r.timedOut, false);
      assert.deepEqual(r.result, { present: false });
      assert.equal('artifacts' in r || 'skippedArtifacts' in r, false);
    },
  },
  {
    name: 'an uncaught error exits 1 with the error on stderr',
    programs: ['throws'],
    check: async (t) => {
      const r = await report(t, 'throws');
      assert.equal(r.exitCode, 1);
      assert.ok(r.stderr.includes('boom'), r.stderr);
      assert.deepEqual(r.result, { present: false });
    },
  },
  {
    name: 'a program killed by a signal reports the signal and no exit code',
    programs: ['kill-self'],
    check: async (t) => {
      const r = await report(t, 'kill-self');
      assert.equal(r.exitCode, null);
      assert.equal(r.signal, 'SIGKILL');
      assert.equal(r.timedOut, false);
    },
  },
  {
    name: 'at timeoutMs the program is killed and the report says so',
    programs: ['sleep'],
    check: async (t) => {
      const r = await report(t, 'sleep', { timeoutMs: 1000 });
      assert.equal(r.timedOut, true);
      assert.equal(r.exitCode, null);
      assert.equal(r.signal, 'SIGKILL');
      assert.ok(
        r.durationMs >= 1000 && r.durationMs < 1000 + inRuntime(t, 2000),
        `durationMs ${r.durationMs}`,
      );
    },
  },
  {
    name: 'output past maxOutputBytes is read, dropped and flagged, and the run still ends quickly',
    programs: ['flood'],
    check: async (t) => {
      const { report: r, outcome } = await run(t, 'flood', {
        arguments: { bytes: 50 * 2 ** 20 },
        maxOutputBytes: 1000,
      });
      assert.equal(r.exitCode, 0);
      assert.equal(r.stdout, 'x'.repeat(1000));
      assert.equal(r.stdoutTruncated, true);
      assert.equal(r.stderr, 'é'.repeat(10));
      assert.equal(r.stderrTruncated, false);
      const tookMs = outcome.elapsedMs;
      assert.ok(tookMs < fromOutside(t, 5000), `took ${Math.round(tookMs)} ms`);
    },
  },
  {
    name: 'a cap that cuts a character in half drops the partial bytes',
    programs: ['echo'],
    check: async (t) => {
      const r = await report(t, 'echo', { arguments: { stdout: 'aé', value: 1 }, maxOutputBytes: 2 });
      assert.equal(r.stdout, 'a');
      assert.equal(r.stdoutTruncated, true);
    },
  },
  {
    name: 'an asynchronous main is awaited',
    programs: ['async'],
    check: async (t) => {
      const r = await report(t, 'async', { arguments: { n: 3 } });
      assert.deepEqual(r.result, { present: true, value: [3, null] });
    },
  },
  {
    name: 'a return value that is not JSON-serialisable exits 1 with a clear message',
    programs: ['not-json'],
    check: async (t) => {
      const r = await report(t, 'not-json');
      assert.equal(r.exitCode, 1);
      assert.deepEqual(r.result, { present: false });
      assert.notEqual(r.stderr, '');
      if (t.ours)
        assert.match(r.stderr, /coderun: main\(\) returned a value that is not JSON-serialisable: \S/);
    },
  },
  {
    name: 'a return value whose JSON is over maxOutputBytes exits 1 with both sizes',
    programs: ['echo'],
    check: async (t) => {
      const r = await report(t, 'echo', { arguments: { value: 'x'.repeat(300) }, maxOutputBytes: 200 });
      assert.equal(r.exitCode, 1);
      assert.deepEqual(r.result, { present: false });
      assert.notEqual(r.stderr, '');
      if (t.ours)
        assert.ok(r.stderr.includes('coderun: main() returned 302 bytes of JSON, over the limit of 200'));
    },
  },
  {
    name: "the program's time counts from the job, not from the interpreter start",
    programs: ['echo'],
    check: async (t) => {
      const r = await report(t, 'echo', { arguments: { value: 1 } });
      assert.ok(r.durationMs < inRuntime(t, 1000), `durationMs ${r.durationMs}`);
    },
  },
  {
    name: 'closing the result channel ends the run with an explanation, not a crash',
    programs: ['closes-result-channel'],
    check: async (t) => {
      const r = await report(t, 'closes-result-channel');
      assert.equal(r.exitCode, 1);
      assert.deepEqual(r.result, { present: false });
      assert.ok(r.stderr.includes('coderun: could not deliver the value main() returned'), r.stderr);
    },
  },
  malformed(
    'not JSON',
    () => 'not json\n',
    () => 'not valid JSON',
  ),
  malformed(
    'another language',
    (t) => job(t, { language: 'no-such-language' }),
    (t) => `this runner serves '${t.runtime.language}'`,
  ),
  malformed(
    'a timeoutMs that is not a positive integer',
    (t) => job(t, { timeoutMs: -1 }),
    () => "'timeoutMs' must be a positive integer, got -1",
  ),
  malformed(
    'arguments that are not an object',
    (t) => job(t, { arguments: [] }),
    () => "'arguments' must be a JSON object, got []",
  ),
  malformed(
    'a holdMs that is not a non-negative integer',
    (t) => job(t, { holdMs: 1.5 }),
    () => "'holdMs' must be a non-negative integer, got 1.5",
  ),
  malformed(
    'an artifactHoldMs that is not a non-negative integer',
    (t) => job(t, { artifactHoldMs: -1 }),
    () => "'artifactHoldMs' must be a non-negative integer, got -1",
  ),
  {
    name: 'stdin closing without a job exits 3',
    programs: [],
    check: async (t) => {
      await refused(t, { input: '' }, 3, 'stdin closed before a job line arrived');
    },
  },
  {
    name: 'a runner whose job never comes gives up after CODERUN_JOB_WAIT_SECONDS and leaves no process behind',
    programs: [],
    check: async (t) => {
      const outcome = await refused(
        t,
        { input: undefined, env: { CODERUN_JOB_WAIT_SECONDS: '1' } },
        3,
        'no job line arrived on stdin within 1 s',
      );
      const tookMs = outcome.elapsedMs;
      assert.ok(tookMs < 10_000 + fromOutside(t, 0), `took ${Math.round(tookMs)} ms`);
      if (outcome.leftovers !== undefined)
        assert.equal(outcome.leftovers, 0, 'the pre-started interpreter is gone');
    },
  },
  {
    name: 'artifacts/ exists before the program runs, at most mode 755',
    programs: ['inspect-artifacts'],
    check: async (t) => {
      const r = await report(t, 'inspect-artifacts');
      const value = r.result.value as { type: string; mode: number };
      assert.equal(value.type, 'dir', JSON.stringify(r.result));
      assert.equal(value.mode & ~0o755, 0, `mode ${value.mode.toString(8)} is wider than 755`);
    },
  },
  {
    name: 'a file written to artifacts/ comes back as an artifact with its type, size and sha256',
    programs: ['write-files'],
    check: async (t) => {
      const r = await report(t, 'write-files', {
        arguments: { files: { 'artifacts/out.csv': 'a,b\n1,2\n' } },
      });
      assert.deepEqual(r.artifacts, [
        {
          name: 'out.csv',
          mimeType: 'text/csv',
          size: 8,
          sha256: createHash('sha256').update('a,b\n1,2\n').digest('hex'),
        },
      ]);
      assert.deepEqual(r.skippedArtifacts, []);
    },
  },
  {
    name: 'a link already named artifacts is left as it is and not followed',
    programs: ['inspect-artifacts'],
    check: async (t) => {
      let followed = true;
      const { report: r } = await run(
        t,
        'inspect-artifacts',
        {},
        {
          prepare: (dir) => symlinkSync('elsewhere/target', join(dir, 'artifacts')),
          inspect: (dir) => {
            followed = existsSync(join(dir, 'elsewhere'));
          },
        },
      );
      assert.deepEqual(r.result, { present: true, value: { type: 'link', target: 'elsewhere/target' } });
      assert.equal(followed, false, 'the runner created the link target');
    },
  },
  {
    name: 'a file already named artifacts is left as it is',
    programs: ['inspect-artifacts'],
    check: async (t) => {
      const r = (
        await run(
          t,
          'inspect-artifacts',
          {},
          { prepare: (dir) => writeFileSync(join(dir, 'artifacts'), 'kept') },
        )
      ).report;
      assert.deepEqual(r.result, { present: true, value: { type: 'file', content: 'kept' } });
    },
  },
  ...ARTIFACT_CASES.map(artifactCase),
  {
    name: 'with an artifact and artifactHoldMs the runner stays alive after its result line, tar reads the file, and SIGTERM ends it at once with code 0',
    programs: ['write-files'],
    check: (t) =>
      holdsUntilSigterm(
        t,
        programJob(t, 'write-files', { arguments: ONE_ARTIFACT, artifactHoldMs: 5000 }),
        (r, started) => {
          assert.deepEqual(
            r.artifacts?.map(({ name, size }) => ({ name, size })),
            [{ name: 'out.csv', size: 8 }],
          );
          const archive = execFileSync('tar', [
            '-C',
            join(started.workdir, 'artifacts'),
            '-cf',
            '-',
            '--',
            'out.csv',
          ]);
          assert.equal(
            execFileSync('tar', ['-xOf', '-'], { input: archive, encoding: 'utf8' }),
            'a,b\n1,2\n',
          );
        },
      ),
  },
  {
    name: 'the artifact hold ends by itself after artifactHoldMs',
    programs: ['write-files'],
    check: async (t) => {
      const { report: r, outcome } = await run(t, 'write-files', {
        arguments: ONE_ARTIFACT,
        artifactHoldMs: 700,
      });
      assert.equal(r.artifacts?.length, 1);
      const tookMs = outcome.elapsedMs;
      assert.ok(tookMs >= 700 && tookMs < fromOutside(t, 5000), `took ${Math.round(tookMs)} ms`);
    },
  },
  {
    name: 'with holdMs the runner stays alive after its result line, artifacts or not, until SIGTERM ends it at once with code 0',
    programs: ['script'],
    check: (t) =>
      holdsUntilSigterm(t, programJob(t, 'script', { holdMs: 5000 }), (r) => assert.equal(r.stdout, '10\n')),
  },
  {
    name: 'the hold ends by itself after holdMs',
    programs: ['script'],
    check: async (t) => {
      const { outcome } = await run(t, 'script', { holdMs: 700 });
      const tookMs = outcome.elapsedMs;
      assert.ok(tookMs >= 700 && tookMs < fromOutside(t, 5000), `took ${Math.round(tookMs)} ms`);
    },
  },
  {
    name: 'a run without artifacts does not hold, whatever artifactHoldMs says',
    programs: ['script'],
    check: async (t) => {
      const { report: r, outcome } = await run(t, 'script', { artifactHoldMs: 5000 });
      assert.deepEqual(r.artifacts, []);
      const tookMs = outcome.elapsedMs;
      assert.ok(tookMs < fromOutside(t, 3000), `took ${Math.round(tookMs)} ms`);
    },
  },
  {
    name: 'a job without artifactHoldMs does not hold',
    programs: ['write-files'],
    check: async (t) => {
      const { report: r, outcome } = await run(t, 'write-files', { arguments: ONE_ARTIFACT });
      assert.equal(r.artifacts?.length, 1);
      const tookMs = outcome.elapsedMs;
      assert.ok(tookMs < fromOutside(t, 3000), `took ${Math.round(tookMs)} ms`);
    },
  },
  {
    name: 'a hello world reports a plausible peak memory',
    programs: ['script'],
    check: async (t) => {
      const kb = memoryKb(t, await report(t, 'script'));
      if (kb !== undefined) assert.ok(kb > 1_000 && kb < HELLO_KB_AT_MOST, `memoryKb ${kb}`);
    },
  },
  {
    name: 'filling 200 MiB adds at least 150,000 KiB to the peak memory of a hello world',
    programs: ['script', 'allocate'],
    check: async (t) => {
      const hello = memoryKb(t, await report(t, 'script'));
      const big = memoryKb(t, await report(t, 'allocate', { arguments: { mib: 200 } }));
      if (hello === undefined || big === undefined) return;
      assert.ok(
        big - hello >= TWO_HUNDRED_MIB_ADDS_AT_LEAST,
        `hello world ${hello} KiB, 200 MiB program ${big} KiB`,
      );
    },
  },
  {
    name: 'a program killed at its timeout still reports its peak memory, 200 MiB over one that allocated nothing',
    programs: ['sleep', 'allocate'],
    check: async (t) => {
      // Both killed, so both measured alike (Node.js: samples only, and under gVisor current figures).
      const timeoutMs = inRuntime(t, 3000);
      const idle = await report(t, 'sleep', { timeoutMs });
      const r = await report(t, 'allocate', { arguments: { mib: 200, sleep: true }, timeoutMs });
      assert.equal(idle.timedOut && r.timedOut, true);
      assert.ok(
        r.stdout.startsWith('allocated\n'),
        `the program had not allocated before its timeout: ${r.stdout}`,
      );
      const [small, big] = [memoryKb(t, idle), memoryKb(t, r)];
      if (small === undefined || big === undefined) return;
      assert.ok(
        big - small >= TWO_HUNDRED_MIB_ADDS_AT_LEAST,
        `idle program ${small} KiB, 200 MiB program ${big} KiB, both killed`,
      );
    },
  },
];

/** The programs `t` lacks for case `c` (the case is skipped then). */
export function missingPrograms(c: ConformanceCase, programs: ReadonlyMap<string, string>): ProgramName[] {
  return c.programs.filter((name) => !programs.has(name));
}
