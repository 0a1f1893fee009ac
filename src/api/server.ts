// The API server: fastify with zod schemas, auth and rate limits before any parsing, and one error shape per
// API (RAGFlow's on /run, set in its plugin; the problem body everywhere else).

import type { Duplex } from 'node:stream';
import swagger from '@fastify/swagger';
import Fastify, { LogController } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { VERSION } from '../version.ts';
import { AccessControl } from './access.ts';
import type { ApiDeps } from './deps.ts';
import { useBoundedJsonParser } from './json-body.ts';
import { problemClientError, problemForFault, problemFrameworkError, problemNotFound } from './problem.ts';
import { faultErrorHandler } from './request-errors.ts';
import { healthRoutes } from './routes/health.ts';
import { nativeRoutes } from './routes/native.ts';
import { ragflowRoutes } from './routes/ragflow.ts';

export async function buildServer(deps: ApiDeps) {
  const { config, metrics } = deps;
  const app = Fastify({
    loggerInstance: deps.log,
    bodyLimit: config.bodyLimitBytes,
    logController: new LogController({ disableRequestLogging: true }),
    // Keep-alive from RAGFlow's HTTP client must not hold a graceful shutdown hostage.
    forceCloseConnections: 'idle',
    // A client has this long to send its whole request (fastify's default is no limit): a stalled upload
    // gets 408 instead of holding its socket for good. Answers may take as long as the run does.
    requestTimeout: 60_000,
    // Room for the longest run name (253), so a long name meets the schema's message, not a bare 414.
    routerOptions: { maxParamLength: 256 },
    // What is refused before routing answers in the problem shape too.
    frameworkErrors: problemFrameworkError,
    clientErrorHandler: problemClientError,
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
        version: VERSION,
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
  // Node drops a CONNECT without a word unless someone listens; answer it like any other unknown method.
  // The socket is ours now and nobody reads it, so close it outright once the answer is written.
  app.server.on('connect', (_req: unknown, socket: Duplex) => {
    const body = JSON.stringify({ error: 'MethodNotAllowed', message: 'CONNECT is not supported' });
    socket.on('error', () => socket.destroy());
    socket.end(
      `HTTP/1.1 405 Method Not Allowed\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      () => socket.destroy(),
    );
  });
  useBoundedJsonParser(app);
  // Shared by /run and /v1: one failed-authentication budget per address, one quota per token.
  const access = new AccessControl({ config, metrics, log: deps.log });
  // The problem body everywhere but /run, whose plugin sets RAGFlow's for its own scope.
  app.setErrorHandler(faultErrorHandler({ metrics, bodyLimitBytes: config.bodyLimitBytes }, problemForFault));
  app.setNotFoundHandler(problemNotFound);

  await app.register(healthRoutes, deps);
  await app.register(ragflowRoutes, { ...deps, access });
  await app.register(nativeRoutes, { ...deps, access });
  return app;
}
