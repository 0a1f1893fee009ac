// Error bodies in FastAPI's shape, which RAGFlow clients already parse: {"detail": [{type, loc, msg, input}]}.
// They belong to /run only; the rest of the API answers with the problem body (../problem.ts).
import type { Refusal } from '../access.ts';
import { MISSING_TOKEN, NO_TOKEN_CONFIGURED } from '../auth.ts';
import type { FaultReply, ValidationIssue } from '../request-errors.ts';
import { tooManyRequests } from './response.ts';

export interface DetailItem {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

function valueAt(body: unknown, path: string[]): unknown {
  let value = body;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** FastAPI's type and message for a zod issue. */
function describe(issue: ValidationIssue, input: unknown): { type: string; msg: string } {
  const custom = issue.params.params as { type?: string } | undefined;
  if (issue.keyword === 'invalid_type') {
    if (input === undefined) return { type: 'missing', msg: 'Field required' };
    const expected = String(issue.params.expected);
    if (expected === 'record' || expected === 'object')
      return { type: 'dict_type', msg: 'Input should be a valid dictionary' };
    if (expected === 'string') return { type: 'string_type', msg: 'Input should be a valid string' };
    return { type: `${expected}_type`, msg: issue.message };
  }
  if (custom?.type === 'enum') return { type: 'enum', msg: issue.message };
  return { type: 'value_error', msg: `Value error, ${issue.message}` };
}

export function validationDetail(issues: readonly ValidationIssue[], body: unknown): DetailItem[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return [
      {
        type: 'model_attributes_type',
        loc: ['body'],
        msg: 'Input should be a valid dictionary or object to extract fields from',
        input: body ?? null,
      },
    ];
  }
  return issues.map((issue) => {
    const path = issue.instancePath.split('/').filter(Boolean);
    const input = valueAt(body, path);
    return { ...describe(issue, input), loc: ['body', ...path], input: input === undefined ? body : input };
  });
}

export function jsonInvalidDetail(error: string): DetailItem[] {
  return [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {}, ctx: { error } }];
}

export function bodyTooLargeDetail(limitBytes: number): DetailItem[] {
  return [
    {
      type: 'value_error',
      loc: ['body'],
      msg: `Request body exceeds the limit of ${limitBytes} bytes`,
      input: null,
      ctx: { limit: limitBytes },
    },
  ];
}

/** What /run answers for a request it could not accept, as upstream's FastAPI service would (a FaultReply). */
export const ragflowFaultReply: FaultReply = (fault, req, bodyLimitBytes) => {
  switch (fault.kind) {
    case 'invalid':
      return { status: 422, body: { detail: validationDetail(fault.issues, req.body) } };
    case 'body_too_large':
      return { status: 413, body: { detail: bodyTooLargeDetail(bodyLimitBytes) } };
    case 'unsupported_media_type':
      return {
        status: 422,
        body: {
          detail: jsonInvalidDetail(
            `Content-Type must be application/json, got ${req.contentType ?? 'none'}`,
          ),
        },
      };
    case 'malformed_body':
      return { status: 422, body: { detail: jsonInvalidDetail(fault.message) } };
    case 'client':
      return { status: fault.status, body: { detail: fault.message } };
    case 'internal':
      return { status: 500, body: { detail: 'internal error; see the API server log' } };
  }
};

/** Upstream's answers to a refused token or an exhausted limit. */
export function ragflowRefusalBody(refusal: Refusal): unknown {
  switch (refusal.status) {
    case 401:
      return { detail: MISSING_TOKEN };
    case 503:
      return { detail: NO_TOKEN_CONFIGURED };
    case 429:
      return tooManyRequests();
  }
}
