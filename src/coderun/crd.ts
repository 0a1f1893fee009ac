// Builds the CustomResourceDefinition from the zod schemas, so the CRD can never drift from the code.
import { z } from 'zod';
import { POOL_KIND, POOL_PLURAL, SandboxPoolSpec, SandboxPoolStatus } from './sandbox-pool.ts';
import { RUNTIME_KIND, RUNTIME_PLURAL, SandboxRuntimeSpec } from './sandbox-runtime.ts';
import { CodeRunSpec, CodeRunStatus, GROUP, KIND, PLURAL, VERSION } from './schema.ts';

type JsonSchema = { [key: string]: unknown };

const SAFE_INTEGER = Number.MAX_SAFE_INTEGER;
// Keys whose values are data, not sub-schemas.
const VERBATIM_KEYS = new Set(['default', 'enum', 'examples', 'required']);
const COMBINATORS = ['anyOf', 'oneOf', 'allOf'];

/** Rewrites zod's OpenAPI 3.0 output into a Kubernetes structural schema. */
export function toStructuralSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toStructuralSchema);
  if (node === null || typeof node !== 'object') return node;
  const input = node as JsonSchema;
  const out: JsonSchema = {};
  // A node without a type ({}, or only a description) is "any JSON": Kubernetes spells that preserve-unknown-fields.
  if (!('type' in input) && !COMBINATORS.some((k) => k in input))
    out['x-kubernetes-preserve-unknown-fields'] = true;
  for (const [key, value] of Object.entries(input)) {
    if (key === '$schema' || key === 'propertyNames') continue;
    // zod's implicit safe-integer bounds are noise; int64 already bounds them.
    if ((key === 'minimum' && value === -SAFE_INTEGER) || (key === 'maximum' && value === SAFE_INTEGER))
      continue;
    // Structural schemas forbid additionalProperties beside properties; pruning drops unknown fields anyway.
    if (key === 'additionalProperties') {
      if (value === false) continue;
      if (value && typeof value === 'object' && Object.keys(value).length === 0) {
        out['x-kubernetes-preserve-unknown-fields'] = true;
        continue;
      }
    }
    // The API server validates date-time itself; zod's long regex would only cost CEL budget.
    if (key === 'pattern' && input.format === 'date-time') continue;
    if (VERBATIM_KEYS.has(key) || key.startsWith('x-kubernetes-')) {
      out[key] = value;
      continue;
    }
    out[key] =
      key === 'properties' ? mapValues(value as JsonSchema, toStructuralSchema) : toStructuralSchema(value);
  }
  return out;
}

function mapValues(obj: JsonSchema, fn: (v: unknown) => unknown): JsonSchema {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, fn(v)]));
}

function openApi(schema: z.ZodType): unknown {
  return toStructuralSchema(z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' }));
}

interface CrdShape {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  description: string;
  /** Namespaced unless said otherwise. */
  scope?: 'Namespaced' | 'Cluster';
  spec: z.ZodType;
  /** Absent: the resource has no status (nor its subresource). */
  status?: z.ZodType;
  /** Besides Age, which every kind shows last. */
  printerColumns: { name: string; type: string; jsonPath: string; priority?: number }[];
  /** The scale subresource (kubectl scale, HorizontalPodAutoscaler). */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string };
}

// Columns of its own replace kubectl's defaults, Age among them: every kind gets Age back, last.
const AGE_COLUMN = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

function buildCrd(shape: CrdShape): object {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${shape.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: shape.scope ?? 'Namespaced',
      names: {
        kind: shape.kind,
        listKind: `${shape.kind}List`,
        plural: shape.plural,
        singular: shape.singular,
        shortNames: shape.shortNames,
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          ...(shape.status
            ? { subresources: { status: {}, ...(shape.scale ? { scale: shape.scale } : {}) } }
            : {}),
          additionalPrinterColumns: [...shape.printerColumns, AGE_COLUMN],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: shape.description,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: openApi(shape.spec),
                ...(shape.status ? { status: openApi(shape.status) } : {}),
              },
            },
          },
        },
      ],
    },
  };
}

export function buildCodeRunCrd(): object {
  return buildCrd({
    kind: KIND,
    plural: PLURAL,
    singular: 'coderun',
    shortNames: ['cr', 'crun'],
    description: 'One execution of an untrusted program in a gVisor sandbox Pod.',
    spec: CodeRunSpec,
    status: CodeRunStatus,
    printerColumns: [
      { name: 'Language', type: 'string', jsonPath: '.spec.language' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Reason', type: 'string', jsonPath: '.status.reason' },
      { name: 'Exit', type: 'integer', jsonPath: '.status.exitCode' },
      { name: 'Duration-ms', type: 'integer', jsonPath: '.status.durationMs' },
      { name: 'Sandbox', type: 'string', jsonPath: '.status.sandbox' },
    ],
  });
}

export function buildSandboxPoolCrd(): object {
  return buildCrd({
    kind: POOL_KIND,
    plural: POOL_PLURAL,
    singular: 'sandboxpool',
    shortNames: ['sp', 'spool'],
    description: 'Pre-started, single-use gVisor sandbox Pods that matching CodeRuns claim.',
    spec: SandboxPoolSpec,
    status: SandboxPoolStatus,
    printerColumns: [
      { name: 'Language', type: 'string', jsonPath: '.spec.language' },
      { name: 'Desired', type: 'integer', jsonPath: '.spec.replicas' },
      { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' },
      { name: 'Claimed', type: 'integer', jsonPath: '.status.claimed' },
    ],
    scale: {
      specReplicasPath: '.spec.replicas',
      statusReplicasPath: '.status.replicas',
      labelSelectorPath: '.status.selector',
    },
  });
}

export function buildSandboxRuntimeCrd(): object {
  return buildCrd({
    kind: RUNTIME_KIND,
    plural: RUNTIME_PLURAL,
    singular: 'sandboxruntime',
    shortNames: ['srt'],
    scope: 'Cluster',
    description:
      "A language the operator runs: a CodeRun's or a SandboxPool's `language` names it (or an alias). Its image, program file, static policy and resources.",
    spec: SandboxRuntimeSpec,
    printerColumns: [
      { name: 'Aliases', type: 'string', jsonPath: '.spec.aliases' },
      { name: 'Policy', type: 'string', jsonPath: '.spec.policy' },
      { name: 'File', type: 'string', jsonPath: '.spec.programFile' },
      { name: 'Image', type: 'string', jsonPath: '.spec.image' },
      { name: 'Max-CPU', type: 'string', jsonPath: '.spec.resources.max.cpu', priority: 1 },
      { name: 'Max-Memory', type: 'string', jsonPath: '.spec.resources.max.memory', priority: 1 },
    ],
  });
}
