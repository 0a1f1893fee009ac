// Runs a sandbox runner on the host the way the sandbox container does: one job line on stdin,
// CODERUN_WORKDIR pointing at a fresh directory, the report parsed with the controller's own parser.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeJobLine, type Job } from '../../../src/runtimes/protocol.ts';
import { isAlive } from '../../conformance/host.ts';
import type { Outcome } from '../../conformance/runtime.ts';

export { isAlive } from '../../conformance/host.ts';
export { type Outcome as RunnerRun, reportOf } from '../../conformance/runtime.ts';

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
): Outcome {
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

/** Ends a process a failed test may have left behind. */
export function killIfAlive(pid: number): void {
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}
