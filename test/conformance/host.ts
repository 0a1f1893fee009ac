// A runner on this machine's interpreter: `command` started with CODERUN_WORKDIR and TMPDIR pointing at a
// fresh directory, as the unit tier runs coderun's runners (and as a runtime's author may run theirs).
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Attempt,
  outputCollector,
  type Runtime,
  type Served,
  type Started,
  servedEnv,
} from './runtime.ts';

/** A runner that is not done after this long is killed (the cases' own bounds are far lower). */
const KILL_AFTER_MS = 30_000;

export function hostRuntime(command: readonly string[], served: Served, cwd: string): Runtime {
  return {
    ...served,
    slowdown: 1,
    sandboxMs: 0,
    programWorkdir: (workdir) => workdir,
    start: (attempt) =>
      startOnHost(command, cwd, { ...attempt, env: { ...servedEnv(served), ...attempt.env } }),
  };
}

/** Started on the host: `child` is the runner's process (a test may write to its stdin itself). */
export type HostStarted = Started & { child: ChildProcessWithoutNullStreams };

export function startOnHost(command: readonly string[], cwd: string, attempt: Attempt): HostStarted {
  const workdir = mkdtempSync(join(tmpdir(), 'coderun-runner-'));
  const begun = performance.now();
  attempt.prepare?.(workdir);
  const [file = '', ...args] = command;
  const child = spawn(file, args, {
    cwd,
    env: { ...process.env, TMPDIR: workdir, CODERUN_WORKDIR: workdir, ...attempt.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.on('error', () => {});
  if (attempt.input !== undefined) child.stdin.end(attempt.input);
  const killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
  const output = outputCollector();
  child.stdout.setEncoding('utf8').on('data', output.stdout);
  child.stderr.setEncoding('utf8').on('data', output.stderr);
  const ended = new Promise<{ status: number | null; at: number }>((resolve) =>
    child.on('close', (status) => {
      clearTimeout(killer);
      child.stdin.destroy();
      output.closed(status);
      resolve({ status, at: performance.now() });
    }),
  ).then(async ({ status, at }) => {
    try {
      // A pre-started interpreter the runner failed to end would still be there a moment later.
      await new Promise((resolve) => setTimeout(resolve, attempt.input === undefined ? 200 : 0));
      attempt.inspect?.(workdir);
      const leftovers = attempt.input === undefined ? processesMentioning(workdir) : undefined;
      return { status, ...output.text(), elapsedMs: at - begun, at, leftovers };
    } finally {
      rmSync(workdir, { recursive: true, force: true });
    }
  });
  return {
    child,
    workdir,
    report: output.report,
    ended,
    async signal(name) {
      child.kill(name);
    },
  };
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
