// The native API's JSON view of a CodeRun (documented in README and the OpenAPI document). Pure.
import { z } from 'zod';
import type { CodeRun } from '../coderun/schema.ts';
import { stripResultMarker } from './ragflow/response.ts';

export const RunView = z.object({
  name: z.string(),
  namespace: z.string(),
  language: z.string(),
  phase: z.string().meta({ description: 'Pending, Running, Succeeded or Failed.' }),
  reason: z.string().nullable(),
  message: z.string().nullable(),
  exitCode: z.number().nullable(),
  durationMs: z.number().nullable(),
  memoryUsedKb: z.number().nullable().meta({
    description: 'Peak resident memory of the program in KiB (its largest process); null when not measured.',
  }),
  stdout: z.string(),
  stderr: z.string(),
  stdoutTruncated: z.boolean(),
  stderrTruncated: z.boolean(),
  result: z.object({ present: z.boolean(), value: z.unknown().optional() }).nullable(),
  policyFindings: z.array(
    z.object({ line: z.number(), column: z.number(), rule: z.string(), message: z.string() }),
  ),
  createdAt: z.string().nullable(),
  startTime: z.string().nullable(),
  completionTime: z.string().nullable(),
});
export type RunView = z.infer<typeof RunView>;

export function runView(run: CodeRun): RunView {
  const s = run.status ?? {};
  const created = run.metadata.creationTimestamp;
  return {
    name: run.metadata.name,
    namespace: run.metadata.namespace,
    language: run.spec.language,
    phase: s.phase ?? 'Pending',
    reason: s.reason ?? null,
    message: s.message ?? null,
    exitCode: s.exitCode ?? null,
    durationMs: s.durationMs ?? null,
    memoryUsedKb: s.memoryUsedKb ?? null,
    stdout: stripResultMarker(s.stdout ?? ''),
    stderr: s.stderr ?? '',
    stdoutTruncated: s.stdoutTruncated ?? false,
    stderrTruncated: s.stderrTruncated ?? false,
    result: s.result ?? null,
    policyFindings: s.policyFindings ?? [],
    createdAt: created ? new Date(created).toISOString() : null,
    startTime: s.startTime ?? null,
    completionTime: s.completionTime ?? null,
  };
}
