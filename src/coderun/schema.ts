// The CodeRun resource, defined once. The CRD YAML (`make generate`), the TypeScript types and the
// API's validation all come from these zod schemas; `make verify` proves crds/ is up to date.
import { z } from 'zod';
import { ARTIFACT_LIMITS, SKIP_REASONS } from '../artifacts/rules.ts';

export const GROUP = 'coderun.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'CodeRun';
export const PLURAL = 'coderuns';

/** Size limits that keep every CodeRun far below etcd's 1.5 MiB object limit. */
export const LIMITS = {
  sourceMaxChars: 262_144,
  argumentsMaxBytes: 262_144,
  streamMaxBytes: 262_144,
  timeoutMaxSeconds: 3_600,
  ttlMaxSeconds: 604_800,
} as const;

/** What a CodeRun's or a SandboxPool's `language` holds: a runtime's name or alias (an RFC 1123 label). */
export const runtimeName = z
  .string()
  .min(1)
  .max(63)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    'must be a runtime name: lowercase letters, digits and "-", starting and ending with a letter or digit',
  );

/** The runtimes an operator runs when the cluster registers none (src/runtimes/catalog.ts). */
export const BUILTIN_LANGUAGES = ['python', 'nodejs'] as const;
/** The built-in runtimes' names; any registered runtime's name is a language too. */
export type Language = (typeof BUILTIN_LANGUAGES)[number];

export const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed'] as const;
export type Phase = (typeof PHASES)[number];

/** Why a run ended (or where it is). Every terminal status carries one. */
export const REASONS = [
  'Accepted',
  'PodCreated',
  'Started',
  'Completed',
  'NonZeroExit',
  'Signalled',
  'TimedOut',
  'OOMKilled',
  'OutputLimit',
  'PolicyRejected',
  'Rejected',
  'RuntimeNotFound',
  'ImagePullFailed',
  'Unschedulable',
  'StartTimeout',
  'PodDeleted',
  'NodeLost',
  'SystemError',
] as const;
export type Reason = (typeof REASONS)[number];

/** The conditions a CodeRun's status carries (metav1.Condition, as a Job's do); `conditions` says what each means. */
export const CONDITION_TYPES = ['Accepted', 'Started', 'Complete', 'Failed'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];
/** A condition's reason: the run's own reason, or `SandboxRetried` (Started, False) while it moves to a fresh sandbox. */
export type ConditionReason = Reason | 'SandboxRetried';

// A Kubernetes resource.Quantity, restricted to the plain forms (no exponents).
export const quantity = z
  .string()
  .max(32)
  .regex(
    /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/,
    'must be a Kubernetes quantity such as 500m, 1, 256Mi',
  );

/** A sandbox's size, as a CodeRun asks for it and a SandboxPool's Pods have it; clamped to the operator's maxima. */
export const SandboxResources = z.object({
  cpu: quantity.optional().meta({ description: 'CPU limit, e.g. 500m. Clamped to the operator maximum.' }),
  memory: quantity
    .optional()
    .meta({ description: 'Memory limit, e.g. 256Mi. Clamped to the operator maximum.' }),
});

export const CodeRunSpec = z
  .object({
    language: runtimeName.meta({
      description:
        'The SandboxRuntime that runs the program: its name or one of its aliases (kubectl get sandboxruntimes).',
    }),
    source: z
      .string()
      .max(LIMITS.sourceMaxChars)
      .meta({ description: 'The program text. Python or JavaScript defining `main`, or a plain script.' }),
    arguments: z.record(z.string(), z.unknown()).default({}).meta({
      description:
        'JSON object passed to main: main(**arguments) in Python, main(arguments) in Node.js. At most 256 KiB serialised.',
    }),
    timeoutSeconds: z.number().int().min(1).max(LIMITS.timeoutMaxSeconds).optional().meta({
      description: "Wall-clock limit for the program. Defaults to the operator's configured timeout.",
    }),
    resources: SandboxResources.optional().meta({
      description: "Per-run limits; omitted fields take the operator's defaults.",
    }),
    ttlSecondsAfterFinished: z.number().int().min(0).max(LIMITS.ttlMaxSeconds).optional().meta({
      description: "Delete the CodeRun this long after it finished. Defaults to the operator's TTL.",
    }),
  })
  .meta({
    description: 'What to run. Immutable after creation.',
    'x-kubernetes-validations': [
      { rule: 'self == oldSelf', message: 'spec is immutable: delete the CodeRun and create a new one' },
    ],
  });
export type CodeRunSpec = z.infer<typeof CodeRunSpec>;

export const Condition = z.object({
  type: z.string().max(316),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().max(1024),
  message: z.string().max(32_768),
  lastTransitionTime: z.iso.datetime(),
  observedGeneration: z.number().int().min(0).optional(),
});
export type Condition = z.infer<typeof Condition>;

/**
 * One reason the static code policy rejected a program, defined once: the policy's verdicts, a CodeRun's
 * status and both APIs' answers carry this shape. `line` and `column` are 1-based; `rule` is the stable
 * identifier of the rule that fired (e.g. `import-blocked-module`), `message` short human text (e.g.
 * `Import of blocked module 'os'`).
 */
export const PolicyFinding = z.object({
  line: z.number().int(),
  column: z.number().int(),
  rule: z.string(),
  message: z.string(),
});
export type PolicyFinding = z.infer<typeof PolicyFinding>;

export const RunResult = z.object({
  present: z.boolean().meta({ description: 'Whether main returned (a program without main has no result).' }),
  value: z.unknown().optional().meta({ description: 'The JSON value main returned.' }),
});
export type RunResult = z.infer<typeof RunResult>;

export const StoredArtifact = z.object({
  name: z.string().max(255),
  mimeType: z.string().max(64),
  size: z.number().int().min(1).max(ARTIFACT_LIMITS.maxBytes),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  location: z.string().max(2048).meta({ description: 'Where the bytes are kept, e.g. s3://bucket/key.' }),
});
export type StoredArtifact = z.infer<typeof StoredArtifact>;

export const SkippedArtifact = z.object({
  name: z.string().max(255),
  reason: z.enum(SKIP_REASONS),
  size: z.number().int().min(0).optional(),
});
export type SkippedArtifact = z.infer<typeof SkippedArtifact>;

export const FullOutputRef = z.object({
  location: z
    .string()
    .max(2048)
    .meta({ description: 'Where the whole output is kept, e.g. s3://bucket/key.' }),
  stdoutBytes: z.number().int().min(0),
  stderrBytes: z.number().int().min(0),
  resultStored: z.boolean().meta({ description: 'The result value is in the store, not in status.result.' }),
});
export type FullOutputRef = z.infer<typeof FullOutputRef>;

export const CodeRunStatus = z.object({
  phase: z.enum(PHASES).optional(),
  reason: z.enum(REASONS).optional(),
  message: z.string().max(32_768).optional(),
  conditions: z
    .array(Condition)
    .max(16)
    .optional()
    .meta({
      description:
        'Accepted: a sandbox Pod was created or claimed for the run (False: the operator refused it). Started: the sandbox runs the program (False: the run moves to a fresh sandbox). Then Complete (exit code 0) or Failed.',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    }),
  podName: z.string().max(253).optional(),
  sandbox: z.enum(['warm', 'cold']).optional().meta({
    description: 'warm: a pre-started Pod of a SandboxPool served the run; cold: a Pod was created for it.',
  }),
  sandboxRetries: z.number().int().min(0).max(16).optional().meta({
    description:
      'Times the run moved to a fresh sandbox because the first ended before its job arrived (nothing had run).',
  }),
  startTime: z.iso.datetime().optional(),
  completionTime: z.iso.datetime().optional(),
  durationMs: z
    .number()
    .int()
    .min(0)
    .optional()
    .meta({ description: 'Wall-clock time of the program itself.' }),
  exitCode: z.number().int().optional(),
  stdout: z.string().optional(),
  stderr: z.string().optional(),
  stdoutTruncated: z.boolean().optional(),
  stderrTruncated: z.boolean().optional(),
  result: RunResult.optional(),
  memoryUsedKb: z.number().int().min(0).optional().meta({
    description:
      "Peak resident memory of the program in KiB: its largest process, the interpreter included, as the runner measured it (under gVisor, the Sentry's accounting). Absent when not measured.",
  }),
  fullOutput: FullOutputRef.optional().meta({
    description:
      'Present when stdout, stderr or the result were longer than the status preview: status holds the first bytes, the API returns all of it from this object.',
  }),
  artifacts: z.array(StoredArtifact).max(ARTIFACT_LIMITS.maxFiles).optional().meta({
    description:
      'Files the program wrote (only after exit code 0), sorted by name; fetch one with GET /v1/runs/{name}/artifacts/{file}.',
  }),
  skippedArtifacts: z.array(SkippedArtifact).max(ARTIFACT_LIMITS.maxSkipped).optional().meta({
    description:
      'Files the program wrote that are not returned, and why (too large, wrong type, a link, ...).',
  }),
  policyFindings: z
    .array(
      PolicyFinding.extend({
        rule: PolicyFinding.shape.rule.max(128),
        message: PolicyFinding.shape.message.max(1024),
      }),
    )
    .max(256)
    .optional(),
  observedGeneration: z.number().int().min(0).optional(),
});
export type CodeRunStatus = z.infer<typeof CodeRunStatus>;

/** The object metadata coderun reads from its resources (a CodeRun, a SandboxPool). */
export interface ObjectMetadata {
  name: string;
  namespace: string;
  uid: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string | Date;
  deletionTimestamp?: string | Date;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface CodeRun {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: ObjectMetadata;
  spec: CodeRunSpec;
  status?: CodeRunStatus;
}

export const TERMINAL_PHASES: ReadonlySet<Phase> = new Set(['Succeeded', 'Failed']);

export function isTerminal(status: CodeRunStatus | undefined): boolean {
  return status?.phase !== undefined && TERMINAL_PHASES.has(status.phase);
}

/** Byte length of the arguments as the runner receives them; the CRD cannot measure an open object. */
export function argumentsBytes(args: Record<string, unknown> | undefined): number {
  return Buffer.byteLength(JSON.stringify(args ?? {}));
}
