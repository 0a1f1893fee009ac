// The SandboxPool resource, defined once: pre-started, single-use sandbox Pods for one language and one
// size, which matching CodeRuns claim instead of waiting for a cold Pod. The CRD comes from this schema.
import { z } from 'zod';
import {
  Condition,
  type GROUP,
  type ObjectMetadata,
  runtimeName,
  SandboxResources,
  type VERSION,
} from './schema.ts';

export const POOL_KIND = 'SandboxPool';
export const POOL_PLURAL = 'sandboxpools';

export const SandboxPoolSpec = z.object({
  language: runtimeName.meta({
    description:
      'The SandboxRuntime whose runs this pool serves (its name or an alias); its image and resources make the Pods.',
  }),
  replicas: z.number().int().min(0).max(1000).default(0).meta({
    description:
      'Idle, ready sandbox Pods to keep. Each serves exactly one run and is then deleted; the pool refills. `kubectl scale` sets it.',
  }),
  resources: SandboxResources.optional().meta({
    description:
      "The sandbox size; omitted fields take the runtime's run defaults. A CodeRun is served from the pool only when its effective cpu and memory equal these (after the same clamping).",
  }),
  image: z
    .string()
    .max(512)
    .optional()
    .meta({ description: "Sandbox image; defaults to the runtime's image." }),
  preload: z
    .array(
      z
        .string()
        .max(128)
        .regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, 'must be a Python module name'),
    )
    .max(32)
    .optional()
    .meta({
      description:
        'Python modules each idle Pod imports before its job arrives (e.g. numpy, pandas), so programs that use them start faster; costs memory in every idle Pod.',
    }),
  maxIdleSeconds: z.number().int().min(60).max(86_400).default(3600).meta({
    description: 'An idle Pod older than this is replaced by a fresh one.',
  }),
});
export type SandboxPoolSpec = z.infer<typeof SandboxPoolSpec>;

/** The one condition a SandboxPool's status carries. */
export const POOL_CONDITION_TYPE = 'Ready';
/**
 * Ready's reason: PoolReady, PoolFilling (idle Pods still starting), PodCreateFailed or RuntimeNotFound
 * (the pool's language names no SandboxRuntime: it keeps no Pods); the message says why.
 */
export type PoolConditionReason = 'PoolReady' | 'PoolFilling' | 'PodCreateFailed' | 'RuntimeNotFound';

export const SandboxPoolStatus = z.object({
  replicas: z.number().int().min(0).optional().meta({ description: 'Idle Pods (ready or starting).' }),
  readyReplicas: z.number().int().min(0).optional().meta({ description: 'Idle Pods ready to be claimed.' }),
  claimed: z
    .number()
    .int()
    .min(0)
    .optional()
    .meta({ description: 'Pods of this pool claimed by runs that are still live.' }),
  selector: z.string().max(1024).optional().meta({ description: 'Label selector of the idle Pods (scale).' }),
  conditions: z
    .array(Condition)
    .max(16)
    .optional()
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }),
  observedGeneration: z.number().int().min(0).optional(),
});
export type SandboxPoolStatus = z.infer<typeof SandboxPoolStatus>;

export interface SandboxPool {
  apiVersion: `${typeof GROUP}/${typeof VERSION}`;
  kind: typeof POOL_KIND;
  metadata: ObjectMetadata;
  spec: SandboxPoolSpec;
  status?: SandboxPoolStatus;
}
