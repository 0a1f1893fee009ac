// What went wrong with a request before (or while) its handler ran, whatever the API: each API words it in
// its own shape (RAGFlow's FastAPI detail list on /run, the problem body on /v1 and elsewhere).
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { ApiMetrics } from './metrics.ts';

/** One validation issue as fastify-type-provider-zod reports it. */
export interface ValidationIssue {
  keyword: string;
  instancePath: string;
  message: string;
  params: Record<string, unknown>;
}

export type RequestPart = 'body' | 'querystring' | 'params' | 'headers';

export type RequestFault =
  | { kind: 'invalid'; part: RequestPart; issues: ValidationIssue[] }
  | { kind: 'body_too_large' }
  | { kind: 'unsupported_media_type' }
  /** The body could not be read as JSON (syntax, empty, nesting, framing). */
  | { kind: 'malformed_body'; message: string }
  /** Any other 4xx fastify raised, e.g. a bad URL. */
  | { kind: 'client'; status: number; message: string }
  | { kind: 'internal' };

/** The code of the error the JSON parser raises for bodies nested too deeply (see json-body.ts). */
export const JSON_TOO_DEEP = 'CODERUN_JSON_TOO_DEEP';

export function classifyError(err: FastifyError): RequestFault {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const part = (err.validationContext ?? 'body') as RequestPart;
    return { kind: 'invalid', part, issues: err.validation as unknown as ValidationIssue[] };
  }
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { kind: 'body_too_large' };
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return { kind: 'unsupported_media_type' };
  if (
    err.statusCode === 400 &&
    (err instanceof SyntaxError || err.code?.startsWith('FST_ERR_CTP_') || err.code === JSON_TOO_DEEP)
  )
    return { kind: 'malformed_body', message: err.message };
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
    return { kind: 'client', status: err.statusCode, message: err.message };
  return { kind: 'internal' };
}

/** The `reason` label of coderun_api_rejections_total for a fault, if it is the client's. */
export function rejectionReason(fault: RequestFault): string | undefined {
  switch (fault.kind) {
    case 'body_too_large':
      return 'body_too_large';
    case 'internal':
      return undefined;
    default:
      return 'invalid_request';
  }
}

/** How one API words a fault: the status and the body it answers with. */
export type FaultReply = (
  fault: RequestFault,
  req: { body: unknown; contentType: string | undefined },
  bodyLimitBytes: number,
) => { status: number; body: unknown };

/**
 * The error handler of a plugin scope: counts the client's faults, logs the rest, and answers in the scope's
 * API shape (`reply`).
 */
export function faultErrorHandler(deps: { metrics: ApiMetrics; bodyLimitBytes: number }, reply: FaultReply) {
  return (err: FastifyError, req: FastifyRequest, res: FastifyReply) => {
    const fault = classifyError(err);
    const reason = rejectionReason(fault);
    if (reason) deps.metrics.rejections.inc({ reason });
    else req.log.error({ err }, 'unhandled error');
    const { status, body } = reply(
      fault,
      { body: req.body, contentType: req.headers['content-type'] },
      deps.bodyLimitBytes,
    );
    return res.code(status).send(body);
  };
}
