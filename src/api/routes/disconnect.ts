import type { FastifyReply, FastifyRequest } from 'fastify';

/** Aborts when the client goes away before the answer was sent. */
export function abortOnDisconnect(req: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  req.raw.on('aborted', () => controller.abort());
  return controller.signal;
}
