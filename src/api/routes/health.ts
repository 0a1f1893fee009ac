// Health, readiness, metrics and the OpenAPI document: open, no auth, no rate limit.
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.ts';

export async function healthRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const ok = async () => ({ status: 'ok' });
  app.get('/', { schema: { hide: true } }, ok);
  app.get('/healthz', { schema: { hide: true } }, async (_req, reply) => {
    const live = deps.live();
    if (live.ok) return { status: 'ok' };
    return reply.code(503).send({ status: 'unavailable', detail: live.detail });
  });
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const ready = await deps.ready();
    if (ready.ok) return { status: 'ok' };
    return reply.code(503).send({ status: 'unavailable', detail: ready.detail });
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
