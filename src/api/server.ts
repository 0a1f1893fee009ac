// The API server: fastify with zod schemas, RAGFlow's error shapes, auth and rate limits before any parsing.
import swagger from '@fastify/swagger';
import Fastify, { type FastifyError, LogController, type onRequestAsyncHookHandler } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { ApiConfig } from '../config/api.ts';
import { authorize } from './auth.ts';
import { bodyTooLargeDetail, jsonInvalidDetail, type ValidationIssue, validationDetail } from './errors.ts';
import type { ApiMetrics } from './metrics.ts';
import { tooManyRequests } from './ragflow/response.ts';
import { SlidingWindowLimiter } from './rate-limit.ts';
import { healthRoutes } from './routes/health.ts';
import { nativeRoutes } from './routes/native.ts';
import { ragflowRoutes } from './routes/ragflow.ts';
import type { Runs } from './run-service.ts';

export interface ApiDeps {
  config: ApiConfig;
  service: Runs;
  metrics: ApiMetrics;
  /** Readiness: can this replica reach Kubernetes and watch its runs? */
  ready: () => Promise<boolean>;
  log: Logger;
}

export async function buildServer(deps: ApiDeps) {
  const { config, metrics } = deps;
  const app = Fastify({
    loggerInstance: deps.log,
    bodyLimit: config.bodyLimitBytes,
    logController: new LogController({ disableRequestLogging: true }),
    // Keep-alive from RAGFlow's HTTP client must not hold a graceful shutdown hostage.
    forceCloseConnections: 'idle',
  });
  // While draining, every answer closes its connection: a client that kept it alive would otherwise
  // reuse it against a closing server, or hold the shutdown open until the Pod is killed.
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.addHook('onSend', async (_req, reply) => {
    if (draining) reply.header('connection', 'close');
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'coderun API',
        version: '0.1.0',
        description: "RAGFlow's executor-manager contract (POST /run) and coderun's native API (/v1/runs).",
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          sandboxToken: { type: 'apiKey', in: 'header', name: 'X-Sandbox-Token' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  const limit = ({ max, windowMs }: { max: number; windowMs: number }): onRequestAsyncHookHandler => {
    const limiter = new SlidingWindowLimiter(max, windowMs);
    return async (req, reply) => {
      const waitMs = limiter.hit(req.ip);
      if (waitMs === 0) return;
      metrics.rejections.inc({ reason: 'rate_limited' });
      await reply
        .code(429)
        .header('retry-after', String(Math.ceil(waitMs / 1000)))
        .send(tooManyRequests());
    };
  };
  const authenticate: onRequestAsyncHookHandler = async (req, reply) => {
    const decision = authorize(config, req.headers);
    if (decision.ok) return;
    metrics.rejections.inc({ reason: decision.status === 401 ? 'unauthorized' : 'no_token_configured' });
    if (decision.status === 401)
      req.log.warn({ ip: req.ip, url: req.url }, 'rejected request with a missing or invalid token');
    await reply.code(decision.status).send({ detail: decision.detail });
  };
  // Upstream's order: a small per-client budget before auth (throttles token guessing), then auth, then the run quota.
  const guards = [limit(config.preAuthRateLimit), authenticate, limit(config.runRateLimit)];

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      metrics.rejections.inc({ reason: 'invalid_request' });
      return reply
        .code(422)
        .send({ detail: validationDetail(err.validation as unknown as ValidationIssue[], req.body) });
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      metrics.rejections.inc({ reason: 'body_too_large' });
      return reply.code(413).send({ detail: bodyTooLargeDetail(config.bodyLimitBytes) });
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      metrics.rejections.inc({ reason: 'invalid_request' });
      return reply.code(422).send({
        detail: jsonInvalidDetail(
          `Content-Type must be application/json, got ${req.headers['content-type'] ?? 'none'}`,
        ),
      });
    }
    if (err.statusCode === 400 && (err instanceof SyntaxError || err.code?.startsWith('FST_ERR_CTP_'))) {
      metrics.rejections.inc({ reason: 'invalid_request' });
      return reply.code(422).send({ detail: jsonInvalidDetail(err.message) });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ detail: err.message });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ detail: 'internal error; see the API server log' });
  });

  await app.register(healthRoutes, deps);
  await app.register(ragflowRoutes, { ...deps, guards });
  await app.register(nativeRoutes, { ...deps, guards });
  return app;
}
