// The controller's side of the runner protocol (docs/runner-protocol.md).
import { z } from 'zod';
import { type CodeRunSpec, RunResult } from '../coderun/schema.ts';

export const PROTOCOL_VERSION = 1;
export const RESULT_MARKER = '__CODERUN_RESULT__ ';

export interface Job {
  v: typeof PROTOCOL_VERSION;
  language: CodeRunSpec['language'];
  source: string;
  arguments: Record<string, unknown>;
  timeoutMs: number;
  maxOutputBytes: number;
  /** After a result line that lists artifacts, keep the sandbox (and its files) this long for the fetch. */
  artifactHoldMs?: number;
  /** After any result line, keep the sandbox this long (until the controller deletes its Pod). */
  holdMs?: number;
}

/**
 * How long a runner stays after its result line until the controller deletes its Pod: its sandbox's end
 * (runsc, containerd, the kubelet) then no longer competes for the cores with the line on its way and
 * the outcome's status write (docs/performance.md, Session 6). The delete normally comes within a few
 * hundred milliseconds; this bounds a sandbox whose controller went away.
 */
export const RESULT_HOLD_MS = 10_000;

/**
 * When the runner had the whole job line (`jobReceivedAt`, its wall clock in ms since the epoch), and the
 * milliseconds after that (its monotonic clock) at which it handed the program its arguments, saw the
 * program end, and had the report ready to write.
 */
export const RunnerTimings = z.object({
  jobReceivedAt: z.number().min(0),
  programStartedMs: z.number().min(0).optional(),
  programEndedMs: z.number().min(0).optional(),
  reportMs: z.number().min(0).optional(),
});
export type RunnerTimings = z.infer<typeof RunnerTimings>;

export const RunnerReport = z.object({
  v: z.literal(PROTOCOL_VERSION),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  timedOut: z.boolean(),
  durationMs: z.number().min(0),
  stdout: z.string(),
  stderr: z.string(),
  stdoutTruncated: z.boolean(),
  stderrTruncated: z.boolean(),
  result: RunResult,
  /** Peak resident memory of the program in KiB (docs/runner-protocol.md); absent when not measured. */
  memoryKb: z.number().int().min(0).optional(),
  /** Files collected after exit code 0 (docs/runner-protocol.md, Artifacts); the controller re-checks each. */
  artifacts: z
    .array(
      z.object({
        name: z.string(),
        mimeType: z.string(),
        size: z.number().int().min(0),
        sha256: z.string(),
      }),
    )
    .optional(),
  skippedArtifacts: z
    .array(z.object({ name: z.string(), reason: z.string(), size: z.number().int().min(0).optional() }))
    .optional(),
  /** The runner's own part of the run (docs/runner-protocol.md); diagnostic only, so a malformed one is dropped. */
  timings: RunnerTimings.optional().catch(undefined),
});
export type RunnerReport = z.infer<typeof RunnerReport>;

export function buildJob(
  spec: CodeRunSpec,
  timeoutSeconds: number,
  maxOutputBytes: number,
  artifactHoldSeconds: number,
): Job {
  return {
    v: PROTOCOL_VERSION,
    language: spec.language,
    source: spec.source,
    arguments: spec.arguments ?? {},
    timeoutMs: timeoutSeconds * 1000,
    maxOutputBytes,
    artifactHoldMs: artifactHoldSeconds * 1000,
    holdMs: RESULT_HOLD_MS,
  };
}

export function encodeJobLine(job: Job): string {
  return `${JSON.stringify(job)}\n`;
}

export type ParsedReport = { ok: true; report: RunnerReport } | { ok: false; error: string };

/** Where the last line that starts with the marker begins, or -1 (a marker inside a line does not count). */
export function lastResultLine(output: string): number {
  const inLine = output.lastIndexOf(`\n${RESULT_MARKER}`);
  if (inLine !== -1) return inLine + 1;
  return output.startsWith(RESULT_MARKER) ? 0 : -1;
}

/** Finds the last result line in the runner's output and validates it. */
export function parseRunnerOutput(output: string): ParsedReport | null {
  const start = lastResultLine(output);
  if (start === -1) return null;
  const end = output.indexOf('\n', start);
  const body = output.slice(start + RESULT_MARKER.length, end === -1 ? undefined : end);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, error: 'the runner printed a result line that is not valid JSON' };
  }
  const parsed = RunnerReport.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      error: `the runner's result line is malformed at '${issue?.path.join('.')}': ${issue?.message}`,
    };
  }
  return { ok: true, report: parsed.data };
}
