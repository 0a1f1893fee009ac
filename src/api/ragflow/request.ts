// RAGFlow's POST /run request (ragflow-contract.md), validated by one zod schema.
import { z } from 'zod';
import { argumentsBytes, LANGUAGES, type Language, LIMITS } from '../../coderun/schema.ts';

/** Aliases accepted beside RAGFlow's own values, case-insensitive. A Map: "__proto__" is no language. */
const LANGUAGE_ALIASES = new Map<string, Language>([
  ['python', 'python'],
  ['python3', 'python'],
  ['py', 'python'],
  ['nodejs', 'nodejs'],
  ['javascript', 'nodejs'],
  ['js', 'nodejs'],
  ['node', 'nodejs'],
]);
export const ACCEPTED_LANGUAGES = [...LANGUAGE_ALIASES.keys()];

// Standard alphabet, padding required, no whitespace: what Python's b64decode(validate=True) accepts.
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export const RunRequest = z.object({
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
  language: z
    .string()
    .default('python')
    .meta({ description: `One of ${LANGUAGES.join(', ')} (aliases: ${ACCEPTED_LANGUAGES.join(', ')}).` })
    .transform((value, ctx) => {
      const language = LANGUAGE_ALIASES.get(value.trim().toLowerCase());
      if (!language) {
        ctx.addIssue({
          code: 'custom',
          message: `Input should be one of ${ACCEPTED_LANGUAGES.map((l) => `'${l}'`).join(', ')}`,
          params: { type: 'enum', expected: ACCEPTED_LANGUAGES.join(', ') },
        });
        return z.NEVER;
      }
      return language;
    }),
  arguments: z
    .record(z.string(), z.unknown())
    .nullable()
    .default({})
    .transform((args) => args ?? {})
    // The controller would refuse the run after its create; the caller learns it here, naming the field.
    .refine((args) => argumentsBytes(args) <= LIMITS.argumentsMaxBytes, {
      message: `arguments exceed ${LIMITS.argumentsMaxBytes} bytes (256 KiB) as JSON`,
    })
    .meta({ description: 'Keyword arguments for main; null means {}; at most 256 KiB as JSON.' }),
});
export type RunRequest = z.output<typeof RunRequest>;
