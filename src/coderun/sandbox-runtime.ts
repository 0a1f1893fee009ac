// The SandboxRuntime resource, defined once: a language the operator runs, as data. It names the sandbox
// image, the file the program is written to, the static policy that checks it and the resources its runs
// get. Cluster-scoped: every namespace's runs and pools see the same set. The CRD comes from this schema.
import { z } from 'zod';
import { type GROUP, quantity, runtimeName, type VERSION } from './schema.ts';

export const RUNTIME_KIND = 'SandboxRuntime';
export const RUNTIME_PLURAL = 'sandboxruntimes';

/**
 * The static policies a runtime may name (src/policy/): each parses one language (typescript: the JavaScript
 * rules on the program with its types stripped, as Node runs a .ts file); `none` checks nothing.
 */
export const STATIC_POLICIES = ['python', 'javascript', 'typescript', 'none'] as const;
export type StaticPolicy = (typeof STATIC_POLICIES)[number];
/** A policy that checks something: the languages src/policy/ parses. */
export type PolicyLanguage = Exclude<StaticPolicy, 'none'>;

const RuntimeResources = z.object({
  cpu: quantity.optional().meta({ description: 'CPU limit, e.g. 500m.' }),
  memory: quantity.optional().meta({ description: 'Memory limit, e.g. 256Mi.' }),
});

export const SandboxRuntimeSpec = z.object({
  aliases: z.array(runtimeName).max(16).optional().meta({
    description:
      "Other names a request may use for this runtime (e.g. py, python3), matched case-insensitively. A runtime name always wins over another runtime's alias.",
    'x-kubernetes-list-type': 'set',
  }),
  image: z
    .string()
    .min(1)
    .max(512)
    .meta({ description: 'The sandbox image: its runner speaks docs/runner-protocol.md for this language.' }),
  programFile: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'must be a plain file name such as main.py')
    .meta({
      description:
        'The file in the work dir the runner writes the program to (e.g. main.py); the sandbox Pod carries it as CODERUN_PROGRAM_FILE.',
    }),
  policy: z.enum(STATIC_POLICIES).meta({
    description:
      "The static code policy that checks this runtime's programs before they run: python, javascript, typescript (JavaScript's rules on the program with its types stripped), or none (gVisor alone).",
  }),
  resources: z
    .object({
      default: RuntimeResources.optional().meta({
        description: "What a run gets when it asks for nothing; omitted fields take the operator's defaults.",
      }),
      max: RuntimeResources.optional().meta({
        description:
          "The most a run of this runtime gets, whatever it asks for; never more than the operator's maxima.",
      }),
    })
    .optional()
    .meta({ description: "Per-runtime defaults and maxima of a run's sandbox." }),
});
export type SandboxRuntimeSpec = z.infer<typeof SandboxRuntimeSpec>;

export interface SandboxRuntime {
  apiVersion: `${typeof GROUP}/${typeof VERSION}`;
  kind: typeof RUNTIME_KIND;
  metadata: { name: string; uid?: string; resourceVersion?: string; creationTimestamp?: string | Date };
  spec: SandboxRuntimeSpec;
}
