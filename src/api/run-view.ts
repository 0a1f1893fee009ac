// The native API's JSON view of a CodeRun (documented in README and the OpenAPI document). Pure.
import { z } from 'zod';
import { type CodeRun, PolicyFinding, RunResult } from '../coderun/schema.ts';

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
  result: RunResult.nullable(),
  artifacts: z
    .array(
      z.object({
        name: z.string(),
        mimeType: z.string(),
        size: z.number(),
        sha256: z.string(),
        url: z.string().meta({ description: 'Path of GET /v1/runs/{name}/artifacts/{file} on this API.' }),
      }),
    )
    .meta({ description: 'Files the program wrote (only after exit code 0), sorted by name.' }),
  skippedArtifacts: z
    .array(z.object({ name: z.string(), reason: z.string(), size: z.number().optional() }))
    .meta({ description: 'Files the program wrote that are not returned, and why.' }),
  policyFindings: z.array(PolicyFinding),
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
    stdout: s.stdout ?? '',
    stderr: s.stderr ?? '',
    stdoutTruncated: s.stdoutTruncated ?? false,
    stderrTruncated: s.stderrTruncated ?? false,
    result: s.result ?? null,
    artifacts: (s.artifacts ?? []).map(({ location: _, ...a }) => ({
      ...a,
      url: `/v1/runs/${run.metadata.name}/artifacts/${encodeURIComponent(a.name)}`,
    })),
    skippedArtifacts: s.skippedArtifacts ?? [],
    policyFindings: s.policyFindings ?? [],
    createdAt: created ? new Date(created).toISOString() : null,
    startTime: s.startTime ?? null,
    completionTime: s.completionTime ?? null,
  };
}
