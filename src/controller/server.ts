// The controller's own HTTP port: /healthz (liveness), /readyz (readiness) and /metrics (Prometheus).
// Three read-only routes with no input, so plain node:http; the API's fastify stack buys nothing here.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ControllerConfig } from '../config/controller.ts';
import { type ControllerState, type HealthVerdict, liveness, readiness } from './health.ts';
import type { RunningController } from './leader.ts';
import type { ControllerMetrics } from './metrics.ts';

export interface ControllerServer {
  /** The port it listens on (the configured one, or the one the kernel chose for port 0). */
  port: number;
  close(): Promise<void>;
}

export interface ControllerServerOptions {
  host: string;
  port: number;
  state: () => ControllerState;
  metrics: ControllerMetrics;
  watchLivenessSeconds: number;
  log: Logger;
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendVerdict(res: ServerResponse, v: HealthVerdict): void {
  sendJson(res, v.ok ? 200 : 503, v.body);
}

/** The server a controller process runs: on its configured address, answering for `running`. */
export function serveController(
  config: Pick<ControllerConfig, 'http' | 'watchLivenessSeconds'>,
  running: Pick<RunningController, 'state' | 'metrics'>,
  log: Logger,
): Promise<ControllerServer> {
  return startControllerServer({
    ...config.http,
    state: running.state,
    metrics: running.metrics,
    watchLivenessSeconds: config.watchLivenessSeconds,
    log,
  });
}

export async function startControllerServer(opts: ControllerServerOptions): Promise<ControllerServer> {
  const log = opts.log.child({ component: 'health-server' });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendJson(res, 405, { status: 'error', detail: `${req.method} is not supported` });
    }
    switch (path) {
      case '/healthz':
        return sendVerdict(res, liveness(opts.state(), opts.watchLivenessSeconds * 1000));
      case '/readyz':
        return sendVerdict(res, readiness(opts.state()));
      case '/metrics': {
        const text = await opts.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': opts.metrics.registry.contentType });
        res.end(text);
        return;
      }
      default:
        return sendJson(res, 404, {
          status: 'error',
          detail: 'not found; try /healthz, /readyz or /metrics',
        });
    }
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err: String(err) }, 'health server request failed');
      if (!res.headersSent) sendJson(res, 500, { status: 'error', detail: String(err) });
      else res.destroy();
    });
  });
  // Probes and scrapes are short; a client that stalls its request must not hold a socket.
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host: opts.host, port }, 'health and metrics listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
