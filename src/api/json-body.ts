// The JSON body parser: fastify's own (prototype-poisoning keys refused), plus a bound on nesting, so no
// later step (validation echo, serialisation, the CodeRun) recurses past the stack on a hostile body.
import type { FastifyInstance } from 'fastify';
import { JSON_TOO_DEEP } from './request-errors.ts';

/** Deeper than any real arguments object, far below what would exhaust the stack when serialised. */
export const MAX_JSON_DEPTH = 128;

/** True when arrays and objects in the JSON text nest deeper than `max` (strings are skipped). */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export function useBoundedJsonParser(
  app: Pick<FastifyInstance, 'getDefaultJsonParser' | 'removeContentTypeParser' | 'addContentTypeParser'>,
): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    // Clients that label every request as JSON send DELETEs with no body: that is no body, not bad JSON.
    if (text.length === 0 && !BODY_METHODS.has(req.method)) {
      done(null, undefined);
      return;
    }
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
      const err = Object.assign(new Error(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`), {
        statusCode: 400,
        code: JSON_TOO_DEEP,
      });
      done(err, undefined);
      return;
    }
    parse(req, text, done);
  });
}
