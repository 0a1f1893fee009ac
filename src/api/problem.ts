// coderun's own error body, for the native API (/v1/...) and every route that is not RAGFlow's /run:
// {"error": "<Kind>", "message": "<what and which field>", "issues": [{"field", "message"}]?, "findings": [...]?}
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { PolicyFinding } from '../coderun/schema.ts';
import type { Refusal } from './access.ts';
import { NO_TOKEN_CONFIGURED } from './auth.ts';
import { TOO_MANY_REQUESTS } from './ragflow/response.ts';
import type { FaultReply, RequestFault } from './request-errors.ts';

export const Issue = z.object({
  field: z.string().meta({
    description: 'The field at fault: a body field (dotted path), "body", or a query or path parameter.',
  }),
  message: z.string(),
});
export type Issue = z.infer<typeof Issue>;

export const Problem = z.object({
  error: z.string().meta({
    description:
      'InvalidRequest, MalformedBody, BodyTooLarge, UnsupportedMediaType, Unauthorized, TooManyRequests, Busy, NotFound, PolicyRejected, TokenNotConfigured or InternalError.',
  }),
  message: z.string(),
  issues: z.array(Issue).optional(),
  findings: z.array(PolicyFinding).optional(),
});
export type Problem = z.infer<typeof Problem>;

const kindOf = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'an array'
      : typeof value === 'object'
        ? 'an object'
        : typeof value;

function valueAt(value: unknown, path: string[]): unknown {
  let at = value;
  for (const key of path) {
    if (at === null || typeof at !== 'object' || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

function issuesOf(fault: Extract<RequestFault, { kind: 'invalid' }>, body: unknown): Issue[] {
  if (fault.part === 'body' && (body === null || typeof body !== 'object' || Array.isArray(body))) {
    const got = body === undefined ? 'no body' : kindOf(body);
    return [{ field: 'body', message: `the request body must be a JSON object, got ${got}` }];
  }
  return fault.issues.map((issue) => {
    const path = issue.instancePath.split('/').filter(Boolean);
    const field =
      path.join('.') ||
      { body: 'body', querystring: 'query', params: 'path', headers: 'headers' }[fault.part];
    const missing =
      fault.part === 'body' && issue.keyword === 'invalid_type' && valueAt(body, path) === undefined;
    return { field, message: missing ? 'required' : issue.message };
  });
}

/** The problem body for a request the API could not accept (a FaultReply). */
export const problemForFault: FaultReply = (fault, req, bodyLimitBytes) => {
  switch (fault.kind) {
    case 'invalid': {
      const issues = issuesOf(fault, req.body);
      const message = `invalid request: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`;
      return { status: 422, body: { error: 'InvalidRequest', message, issues } };
    }
    case 'body_too_large':
      return {
        status: 413,
        body: {
          error: 'BodyTooLarge',
          message: `body: the request body exceeds the limit of ${bodyLimitBytes} bytes`,
          issues: [{ field: 'body', message: `larger than ${bodyLimitBytes} bytes` }],
        },
      };
    case 'unsupported_media_type':
      return {
        status: 415,
        body: {
          error: 'UnsupportedMediaType',
          message: `Content-Type must be application/json, got ${req.contentType ?? 'none'}`,
          issues: [{ field: 'Content-Type', message: 'must be application/json' }],
        },
      };
    case 'malformed_body':
      return {
        status: 400,
        body: {
          error: 'MalformedBody',
          message: `body: not valid JSON: ${fault.message}`,
          issues: [{ field: 'body', message: fault.message }],
        },
      };
    case 'client':
      return { status: fault.status, body: { error: 'BadRequest', message: fault.message } };
    case 'internal':
      return {
        status: 500,
        body: { error: 'InternalError', message: 'internal error; see the API server log' },
      };
  }
};

export function problemForRefusal(refusal: Refusal): Problem {
  switch (refusal.status) {
    case 401:
      return {
        error: 'Unauthorized',
        message: 'missing or invalid token: send Authorization: Bearer <token> or X-Sandbox-Token: <token>',
      };
    case 503:
      return { error: 'TokenNotConfigured', message: NO_TOKEN_CONFIGURED };
    case 429:
      return {
        error: 'TooManyRequests',
        message:
          refusal.reason === 'auth_throttled'
            ? `too many failed authentications from this address; retry in ${refusal.retryAfterSeconds} s`
            : `${TOO_MANY_REQUESTS}: the token's request quota is used up; retry in ${refusal.retryAfterSeconds} s`,
      };
  }
}

/** Unknown routes, in the same shape. */
export function problemNotFound(req: FastifyRequest, reply: FastifyReply) {
  const target = `${req.method} ${req.url}`;
  return reply.code(404).send({
    error: 'NotFound',
    message: `no route ${target.length > 200 ? `${target.slice(0, 200)}...` : target}`,
  });
}

/** Errors fastify raises while routing (a URL that does not decode, a path parameter over the router's limit). */
export function problemFrameworkError(err: FastifyError, _req: FastifyRequest, reply: FastifyReply) {
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH')
    return reply
      .code(status)
      .send({ error: 'URITooLong', message: 'name: longer than any run name can be (253 characters)' });
  return reply
    .code(status)
    .send({ error: 'BadRequest', message: 'the URL does not decode: bad percent-encoding in the path' });
}

/** Requests Node's HTTP parser refuses before any route sees them; written straight to the socket. */
export function problemClientError(err: Error & { code?: string; reason?: string }, socket: Socket) {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, text, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'the request was not received in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'the request line and headers exceed 16 KiB']
        : err.code === 'HPE_INVALID_METHOD'
          ? [400, 'Bad Request', 'unknown HTTP method']
          : [400, 'Bad Request', `malformed HTTP request: ${err.reason ?? err.code ?? 'unreadable'}`];
  const body = JSON.stringify({ error: text.replaceAll(' ', ''), message });
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${text}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy();
}
