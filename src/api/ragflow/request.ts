// RAGFlow's POST /run request (ragflow-contract.md), validated by one zod schema. The languages it accepts
// are the runtimes in force when the request arrives (SandboxRuntime resources), so the schema is made from
// where they are read.
import { z } from 'zod';
import { argumentsBytes, LIMITS } from '../../coderun/schema.ts';
import { type Runtime, type RuntimeSource, unknownRuntimeMessage } from '../../runtimes/catalog.ts';

// Standard alphabet, padding required, no whitespace: what Python's b64decode(validate=True) accepts.
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A request's `language`: a registered runtime's name or alias, trimmed, in any case; the runtime it names.
 * An unknown one is refused listing what is accepted: on /run in FastAPI's enum shape (`ragflow`), which for
 * the python and nodejs runtimes is upstream's message byte for byte; elsewhere naming the runtimes.
 */
export function languageField(runtimes: RuntimeSource, style: 'ragflow' | 'native') {
  return z
    .string()
    .default('python')
    .meta({
      description:
        'A registered SandboxRuntime by name or alias, trimmed, in any case (`kubectl get sandboxruntimes`); the chart registers python (aliases python3, py) and nodejs (javascript, js, node).',
    })
    .transform((value, ctx): Runtime => {
      const set = runtimes.current();
      const runtime = set.resolve(value);
      if (runtime) return runtime;
      const accepted = set.acceptedNames();
      ctx.addIssue(
        style === 'ragflow'
          ? {
              code: 'custom',
              message: `Input should be one of ${accepted.map((l) => `'${l}'`).join(', ')}`,
              params: { type: 'enum', expected: accepted.join(', ') },
            }
          : { code: 'custom', message: unknownRuntimeMessage(value, set) },
      );
      return z.NEVER;
    });
}

export const runArguments = z
  .record(z.string(), z.unknown())
  .nullable()
  .default({})
  .transform((args) => args ?? {})
  // The controller would refuse the run after its create; the caller learns it here, naming the field.
  .refine((args) => argumentsBytes(args) <= LIMITS.argumentsMaxBytes, {
    message: `arguments exceed ${LIMITS.argumentsMaxBytes} bytes (256 KiB) as JSON`,
  })
  .meta({ description: 'Keyword arguments for main; null means {}; at most 256 KiB as JSON.' });

/** /run's body, with the languages `runtimes` registers. */
export const runRequest = (runtimes: RuntimeSource) =>
  z.object({
    code_b64: z
      .string()
      .meta({ description: 'Standard base64 (padded, no whitespace) of the UTF-8 program text.' })
      .transform((value, ctx) => {
        if (!STRICT_BASE64.test(value)) {
          ctx.addIssue({
            code: 'custom',
            message: 'Invalid base64 encoding: expected standard base64 with padding and no whitespace',
          });
          return z.NEVER;
        }
        let source: string;
        try {
          source = utf8.decode(Buffer.from(value, 'base64'));
        } catch {
          ctx.addIssue({ code: 'custom', message: 'code_b64 does not decode to UTF-8 text' });
          return z.NEVER;
        }
        // Refused here, as the CodeRun's schema would refuse it after the create (a bad request, not a fault).
        if (source.length > LIMITS.sourceMaxChars) {
          ctx.addIssue({
            code: 'custom',
            message: `code_b64 decodes to a program of ${source.length} characters; the limit is ${LIMITS.sourceMaxChars} (256 KiB)`,
          });
          return z.NEVER;
        }
        return source;
      }),
    language: languageField(runtimes, 'ragflow'),
    arguments: runArguments,
  });
export type RunRequest = z.output<ReturnType<typeof runRequest>>;
