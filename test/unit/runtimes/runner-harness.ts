// Runs a sandbox runner on the host the way the sandbox container does: one job line on stdin,
// CODERUN_WORKDIR pointing at a fresh directory, the report parsed with the controller's own parser.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeJobLine,
  type Job,
  lastResultLine,
  parseRunnerOutput,
  type RunnerReport,
} from '../../../src/runtimes/protocol.ts';

export const REPO = join(import.meta.dirname, '../../..');

// Version-manager shims (pyenv) add a few hundred milliseconds to every start; resolve python3 once.
export const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {
  encoding: 'utf8',
}).trim();

export const PYTHON_RUNNER = [PYTHON, 'sandbox_base_image/python/runner.py'];
export const NODEJS_RUNNER = [process.execPath, 'sandbox_base_image/nodejs/runner.mjs'];

export type PythonGuard = 'processes' | 'audit';

/**
 * The Python runner with only `guards` of its guards (runner.GUARDS) installed, to test each guard alone
 * and what lies beneath them; `[]` is a runner without any.
 */
export function pythonRunnerWith(guards: readonly PythonGuard[]): string[] {
  const tuple = `(${guards.map((guard) => `"${guard}",`).join('')})`;
  return [
    PYTHON,
    '-c',
    `import sys; sys.path.insert(0, "sandbox_base_image/python"); import runner; runner.GUARDS = ${tuple}; sys.exit(runner.main())`,
  ];
}

let unguardedNode: string[] | undefined;

/** A copy of the Node.js runner with its guards switched off (GUARDED = false), to test what lies beneath them. */
export function unguardedNodeRunner(): string[] {
  if (!unguardedNode) {
    const source = readFileSync(join(REPO, 'sandbox_base_image/nodejs/runner.mjs'), 'utf8');
    const unguarded = source.replace(/^const GUARDED = true;$/m, 'const GUARDED = false;');
    if (unguarded === source) throw new Error('runner.mjs has no line `const GUARDED = true;`');
    const dir = mkdtempSync(join(tmpdir(), 'coderun-unguarded-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'runner.mjs'), unguarded);
    copyFileSync(join(REPO, 'sandbox_base_image/nodejs/bootstrap.cjs'), join(dir, 'bootstrap.cjs'));
    unguardedNode = [process.execPath, join(dir, 'runner.mjs')];
  }
  return unguardedNode;
}

export interface RunnerRun {
  status: number | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

/**
 * Runs `command` with `input` on stdin in a temporary work dir that is removed afterwards; `prepare`
 * may put things into the work dir first, `inspect` look at it after the runner ended.
 */
export function runRunner(
  command: string[],
  input: string,
  env: Record<string, string> = {},
  prepare: (workdir: string) => void = () => {},
  inspect: (workdir: string) => void = () => {},
): RunnerRun {
  const workdir = mkdtempSync(join(tmpdir(), 'coderun-runner-'));
  const started = performance.now();
  try {
    prepare(workdir);
    const [file = '', ...args] = command;
    const run = spawnSync(file, args, {
      cwd: REPO,
      input,
      encoding: 'utf8',
      env: { ...process.env, TMPDIR: workdir, CODERUN_WORKDIR: workdir, ...env },
      maxBuffer: 64 * 2 ** 20,
      timeout: 30_000,
    });
    inspect(workdir);
    return {
      status: run.status,
      stdout: run.stdout,
      stderr: run.stderr,
      elapsedMs: performance.now() - started,
    };
  } finally {
    rmSync(workdir, { recursive: true, force: true });
  }
}

/** A runner started in the background, to watch what it does after its result line (the artifact hold). */
export interface StartedRunner {
  workdir: string;
  child: ChildProcess;
  /** The report, as soon as the result line is complete on stdout. */
  report: Promise<RunnerReport>;
  /** How the runner ended, and when (performance.now()). */
  ended: Promise<{ status: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Kills the runner if it still runs, and removes the work dir. */
  stop(): Promise<void>;
}

/** Starts the runner with `input` on stdin; `endInput` false leaves stdin open for the test to write to. */
export function startRunner(
  command: string[],
  input: string,
  env: Record<string, string> = {},
  endInput = true,
): StartedRunner {
  const workdir = mkdtempSync(join(tmpdir(), 'coderun-runner-'));
  const [file = '', ...args] = command;
  const child = spawn(file, args, {
    cwd: REPO,
    env: { ...process.env, TMPDIR: workdir, CODERUN_WORKDIR: workdir, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (endInput) child.stdin.end(input);
  else if (input) child.stdin.write(input);
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const ended = new Promise<{ status: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (status, signal) => {
      clearTimeout(killer);
      resolve({ status, signal, at: performance.now() });
    }),
  );
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const report = new Promise<RunnerReport>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const start = lastResultLine(stdout);
      if (start !== -1 && stdout.includes('\n', start))
        resolve(reportOf({ status: null, stdout, stderr, elapsedMs: 0 }));
    });
    child.on('close', (status) => reject(new Error(`no result line (exit ${status}): ${stdout}\n${stderr}`)));
  });
  return {
    workdir,
    child,
    report,
    ended,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await ended;
      rmSync(workdir, { recursive: true, force: true });
    },
  };
}

export type JobFields = Partial<Omit<Job, 'language'>> & { source: string };

export function jobLine(language: Job['language'], fields: JobFields): string {
  return encodeJobLine({
    v: 1,
    language,
    arguments: {},
    timeoutMs: 10_000,
    maxOutputBytes: 64 * 1024,
    artifactHoldMs: 0,
    ...fields,
  });
}

/** The report from a run that must have printed one; fails the test otherwise. */
export function reportOf(run: RunnerRun): RunnerReport {
  const parsed = parseRunnerOutput(run.stdout);
  if (!parsed?.ok) {
    throw new Error(
      `no valid result line (exit ${run.status}): ${parsed?.error ?? run.stdout}\n${run.stderr}`,
    );
  }
  return parsed.report;
}

/** Decodes the `__RAGFLOW_RESULT__:` line old RAGFlow clients read, if the report's stdout ends with one. */
export function ragflowEnvelope(report: RunnerReport): unknown {
  const last = report.stdout.trimEnd().split('\n').at(-1) ?? '';
  const match = /^__RAGFLOW_RESULT__:(.*)$/.exec(last);
  return match ? JSON.parse(Buffer.from(match[1] ?? '', 'base64').toString('utf8')) : undefined;
}

/** Whether `pid` is a live process (a zombie waiting to be reaped counts as dead). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Ends a process a failed test may have left behind. */
export function killIfAlive(pid: number): void {
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

/**
 * Starts a runner with stdin held open and never sends a job, as a pool Pod whose run never comes.
 * Reports how it ended and how many processes still mention its work dir afterwards.
 */
export async function runWithoutJob(
  command: string[],
  env: Record<string, string>,
): Promise<{ status: number | null; stderr: string; elapsedMs: number; leftovers: number }> {
  const workdir = mkdtempSync(join(tmpdir(), 'coderun-runner-'));
  const started = performance.now();
  try {
    const [file = '', ...args] = command;
    const child = spawn(file, args, {
      cwd: REPO,
      env: { ...process.env, TMPDIR: workdir, CODERUN_WORKDIR: workdir, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(killer);
    child.stdin.destroy();
    const elapsedMs = performance.now() - started;
    await new Promise((r) => setTimeout(r, 200));
    return { status, stderr, elapsedMs, leftovers: processesMentioning(workdir) };
  } finally {
    rmSync(workdir, { recursive: true, force: true });
  }
}

function processesMentioning(text: string): number {
  let count = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text) && isAlive(Number(pid))) count++;
    } catch {
      // gone meanwhile
    }
  }
  return count;
}
