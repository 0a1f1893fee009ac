// RAGFlow's POST /run response (ragflow-contract.md): one shape for every outcome, every field present. Pure.
import type { CodeRun } from '../../coderun/schema.ts';
import { formatFindings, type PolicyFinding } from '../../policy/types.ts';

export type RagflowStatus =
  | 'success'
  | 'program_error'
  | 'resource_limit_exceeded'
  | 'unauthorized_access'
  | 'program_runner_error';

export interface RagflowResult {
  status: RagflowStatus;
  stdout: string;
  stderr: string;
  exit_code: number;
  detail: string | null;
  time_used_ms: number | null;
  memory_used_kb: number | null;
  resource_limit_type: 'time' | 'memory' | 'output' | null;
  unauthorized_access_type: 'file_access' | 'disallowed_syscall' | null;
  runtime_error_type: 'nonzero_exit' | 'signalled' | null;
  artifacts: { name: string; mime_type: string; size: number; content_b64: string }[];
  result: { present: true; value: unknown; type: 'json' } | null;
}

export const RAGFLOW_RESULT_MARKER = '__RAGFLOW_RESULT__:';
export const TOO_MANY_REQUESTS = 'Too many requests, please try again later';

const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGSYS: 31,
};

function base(fields: Partial<RagflowResult> & Pick<RagflowResult, 'status' | 'exit_code'>): RagflowResult {
  const { status, exit_code, ...rest } = fields;
  // Keys in the contract's order, status first, as upstream serialises them.
  return {
    status,
    stdout: '',
    stderr: '',
    exit_code,
    detail: null,
    time_used_ms: null,
    memory_used_kb: null,
    resource_limit_type: null,
    unauthorized_access_type: null,
    runtime_error_type: null,
    artifacts: [],
    result: null,
    ...rest,
  };
}

/** Removes every line that starts with upstream's result marker, `__RAGFLOW_RESULT__:`. */
export function stripResultMarker(stdout: string): string {
  if (!stdout.includes(RAGFLOW_RESULT_MARKER)) return stdout;
  const kept = stdout.split('\n').filter((line) => !line.startsWith(RAGFLOW_RESULT_MARKER));
  return kept.join('\n');
}

/**
 * The stdout /run answers for a program that exited 0. The value of `main` is in `result`, never in stdout:
 * upstream's executor takes every line that starts with its marker out of stdout as the result, so /run
 * drops such lines, a program's own included. A program whose `main` returned has its last line ended,
 * as when the runners still printed upstream's marker line after it (a status written by such a runner
 * still carries that line, and loses it here).
 */
export function ragflowStdout(stdout: string, resultPresent: boolean): string {
  const ended = resultPresent && stdout !== '' && !stdout.endsWith('\n') ? `${stdout}\n` : stdout;
  return stripResultMarker(ended);
}

export function policyRejected(findings: readonly PolicyFinding[]): RagflowResult {
  return base({
    status: 'program_runner_error',
    exit_code: -999,
    stderr: formatFindings(findings),
    detail: 'Code is unsafe',
  });
}

export function poolBusy(): RagflowResult {
  return base({
    status: 'program_runner_error',
    exit_code: -10,
    stderr: 'Sandbox pool is busy',
    detail: 'no_available_container',
  });
}

export function internalError(message: string): RagflowResult {
  return base({ status: 'program_runner_error', exit_code: -3, stderr: message, detail: 'internal_error' });
}

export function tooManyRequests(): RagflowResult {
  return base({
    status: 'program_runner_error',
    exit_code: -429,
    stderr: TOO_MANY_REQUESTS,
    detail: TOO_MANY_REQUESTS,
  });
}

export function executionTimeout(
  timeUsed: number | null = null,
  memoryUsed: number | null = null,
): RagflowResult {
  return base({
    status: 'resource_limit_exceeded',
    exit_code: -124,
    stderr: 'Execution timeout',
    resource_limit_type: 'time',
    time_used_ms: timeUsed,
    memory_used_kb: memoryUsed,
  });
}

// RAGFlow tells permission problems apart by the interpreter's own words, looked for in this order.
const UNAUTHORIZED_ACCESS = [
  ['Permission denied', 'file_access'],
  ['Operation not permitted', 'disallowed_syscall'],
] as const;

/** Maps a finished CodeRun to what a RAGFlow client expects. */
export function ragflowResultFromRun(run: CodeRun): RagflowResult {
  const s = run.status ?? {};
  const timeUsed = s.durationMs ?? null;
  // What the runner measured of the program; null when it did not report (e.g. the sandbox was OOM-killed).
  const used = { time_used_ms: timeUsed, memory_used_kb: s.memoryUsedKb ?? null };
  const stderr = s.stderr ?? '';
  const exitCode = s.exitCode ?? 1;
  switch (s.reason) {
    case 'Completed':
      return base({
        status: 'success',
        exit_code: 0,
        stdout: ragflowStdout(s.stdout ?? '', s.result?.present === true),
        stderr,
        ...used,
        result: s.result?.present ? { present: true, value: s.result.value ?? null, type: 'json' } : null,
      });
    case 'NonZeroExit': {
      const access = UNAUTHORIZED_ACCESS.find(([words]) => stderr.includes(words));
      if (access) {
        return base({
          status: 'unauthorized_access',
          exit_code: exitCode,
          stderr,
          unauthorized_access_type: access[1],
          ...used,
        });
      }
      return base({
        status: 'program_error',
        exit_code: exitCode,
        stderr,
        runtime_error_type: 'nonzero_exit',
        ...used,
      });
    }
    case 'Signalled': {
      const signal = /SIG[A-Z0-9]+/.exec(s.message ?? '')?.[0];
      return base({
        status: 'program_error',
        exit_code: -(SIGNALS[signal ?? ''] ?? 9),
        stderr,
        runtime_error_type: 'signalled',
        ...used,
      });
    }
    case 'TimedOut':
      return executionTimeout(timeUsed, used.memory_used_kb);
    case 'OOMKilled':
      return base({
        status: 'resource_limit_exceeded',
        exit_code: -137,
        stderr: 'Memory limit exceeded (killed by OOM)',
        resource_limit_type: 'memory',
        ...used,
      });
    case 'OutputLimit':
      return base({
        status: 'resource_limit_exceeded',
        exit_code: exitCode,
        stderr: `${stderr}${stderr && !stderr.endsWith('\n') ? '\n' : ''}[coderun] ${s.message ?? 'output limit exceeded'}`,
        resource_limit_type: 'output',
        ...used,
      });
    case 'PolicyRejected':
      return policyRejected(s.policyFindings ?? []);
    case 'Unschedulable':
    case 'StartTimeout':
      return poolBusy();
    default:
      return internalError(s.message ?? `the run ended as ${s.phase ?? 'unknown'}/${s.reason ?? 'unknown'}`);
  }
}
