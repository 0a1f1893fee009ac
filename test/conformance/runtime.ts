// What the conformance cases (cases.ts) run against: a runtime starts the runner once per attempt, with one
// input on stdin and a fresh work dir, the way the sandbox Pod does. Two kinds exist: a runner on the
// host's interpreter (the component tier, test/component/runtimes/conformance.test.ts) and an image's
// entry point under gVisor (make runtime-check, image.ts).
import { PROGRAM_FILE_ENV, RUNTIME_ENV } from '../../src/controller/sandbox-pod.ts';
import { lastResultLine, parseRunnerOutput, type RunnerReport } from '../../src/runtimes/protocol.ts';

export interface Attempt {
  /** Written to stdin, which is then closed; undefined keeps stdin open and sends nothing. */
  input: string | undefined;
  /** Added to the runner's environment. */
  env?: Record<string, string>;
  /** Puts things into the work dir (its path on this machine) before the runner starts. */
  prepare?: (workdir: string) => void;
  /** Looks at the work dir after the runner ended, before it is removed. */
  inspect?: (workdir: string) => void;
}

export interface Outcome {
  /** The runner's exit code; null when a signal ended it. */
  status: number | null;
  stdout: string;
  stderr: string;
  /** From start to exit, as this machine saw it (the sandbox's own start included). */
  elapsedMs: number;
  /** Processes still running the attempt's work dir after the runner ended, where the runtime can count them. */
  leftovers?: number;
}

export interface Started {
  /** The work dir on this machine, while the runner runs. */
  workdir: string;
  /** The report, as soon as the result line is complete on stdout. */
  report: Promise<RunnerReport>;
  /** How the runner ended; `at` is performance.now() then. */
  ended: Promise<Outcome & { at: number }>;
  /** Sends a signal to the runner. */
  signal(name: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

/** What a sandbox is made for (CODERUN_RUNTIME and CODERUN_PROGRAM_FILE in its environment). */
export interface Served {
  /** The runtime's name: the job's `language`. */
  language: string;
  /** The file in the work dir the runner writes the program to. */
  programFile: string;
}

/** The environment a sandbox Pod's runner is told its runtime in (src/controller/sandbox-pod.ts). */
export function servedEnv({ language, programFile }: Served): Record<string, string> {
  return { [RUNTIME_ENV]: language, [PROGRAM_FILE_ENV]: programFile };
}

export interface Runtime extends Served {
  /**
   * Time allowances for the cases' bounds, which are the host's: `slowdown` multiplies a bound (the same
   * work takes this many times longer), `sandboxMs` is added to a bound on the wall-clock time seen from
   * outside (starting and ending the sandbox, on top of the runner's own time).
   */
  slowdown: number;
  sandboxMs: number;
  /** The work dir as the program sees it for an attempt whose work dir on this machine is `workdir`. */
  programWorkdir(workdir: string): string;
  start(attempt: Attempt): Started;
}

/** Starts an attempt and waits for its end. */
export async function attempt(runtime: Runtime, a: Attempt): Promise<Outcome> {
  const started = runtime.start(a);
  started.report.catch(() => {});
  return started.ended;
}

/** The report from an outcome that must have one; throws with the runner's output otherwise. */
export function reportOf(outcome: Outcome): RunnerReport {
  const parsed = parseRunnerOutput(outcome.stdout);
  if (!parsed?.ok) {
    throw new Error(
      `no valid result line (exit ${outcome.status}): ${parsed?.error ?? outcome.stdout}\n${outcome.stderr}`,
    );
  }
  return parsed.report;
}

/**
 * Collects a runner's stdout and stderr as they come: `report` settles once the result line is complete,
 * `text()` gives what arrived so far. Both runtimes read their runner through it.
 */
export function outputCollector(): {
  stdout(chunk: string): void;
  stderr(chunk: string): void;
  closed(status: number | null): void;
  text(): { stdout: string; stderr: string };
  report: Promise<RunnerReport>;
} {
  let stdout = '';
  let stderr = '';
  let resolve: (report: RunnerReport) => void = () => {};
  let reject: (error: Error) => void = () => {};
  const report = new Promise<RunnerReport>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return {
    stdout(chunk) {
      stdout += chunk;
      const start = lastResultLine(stdout);
      if (start !== -1 && stdout.includes('\n', start)) {
        try {
          resolve(reportOf({ status: null, stdout, stderr, elapsedMs: 0 }));
        } catch (error) {
          reject(error as Error);
        }
      }
    },
    stderr(chunk) {
      stderr += chunk;
    },
    closed(status) {
      reject(new Error(`no result line (exit ${status}): ${stdout}\n${stderr}`));
    },
    text: () => ({ stdout, stderr }),
    report,
  };
}
