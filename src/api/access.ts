// Who may call the protected routes, and how often: the token, a failed-authentication budget per client
// address (against token guessing), and a request quota per token. The routes render the refusals in their
// own API's shape.
//
// Why failures only: upstream charges every request to the pre-authentication limit, so one RAGFlow (one
// address) is held to 30 runs a minute. Here only failed authentications are charged; a client that holds the
// token is limited by its own quota.
//
// The rule for an address over its failed-authentication budget ("blocked"):
//  - its requests get 429 before the token is compared, so a guesser learns nothing until the window slides;
//  - except when the address authenticated successfully within KNOWN_CLIENT_MS (a token holder lives there,
//    e.g. RAGFlow behind the same NAT as the guesser): then tokens are still compared, the right one passes
//    and wrong ones get 429. Refusing the right token would let anyone behind that address lock RAGFlow out.
//    The price: a guesser sharing an address with a token holder is answered, if only 429, at full speed;
//    so tokens must be long and random (the chart generates 48 characters).
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { Logger } from 'pino';
import type { ApiConfig, RateLimit } from '../config/api.ts';
import { authorize } from './auth.ts';
import type { ApiMetrics } from './metrics.ts';
import { SlidingWindowLimiter } from './rate-limit.ts';

/** How long an address that authenticated stays known: a day covers an idle night of a RAGFlow. */
export const KNOWN_CLIENT_MS = 24 * 3_600_000;
const MAX_KNOWN_CLIENTS = 10_000;

export type Refusal =
  /** A missing or wrong token. */
  | { status: 401; reason: 'unauthorized' }
  /** No token configured and unauthenticated use not allowed (fail closed). */
  | { status: 503; reason: 'no_token_configured' }
  /** Too many failed authentications from this address, or the token's quota is used up. */
  | { status: 429; reason: 'auth_throttled' | 'rate_limited'; retryAfterSeconds: number };

const limiter = (limit: RateLimit, now: () => number) =>
  limit ? new SlidingWindowLimiter(limit.max, limit.windowMs, now) : undefined;

export class AccessControl {
  private readonly config: Pick<
    ApiConfig,
    'token' | 'allowUnauthenticated' | 'preAuthRateLimit' | 'runRateLimit'
  >;
  private readonly metrics: ApiMetrics | undefined;
  private readonly log: Logger | undefined;
  private readonly now: () => number;
  private readonly failures: SlidingWindowLimiter | undefined;
  private readonly quota: SlidingWindowLimiter | undefined;
  /** Addresses that authenticated, with the time of their latest success. */
  private readonly known = new Map<string, number>();
  private readonly tokenKey: string | undefined;

  constructor(opts: {
    config: AccessControl['config'];
    metrics?: ApiMetrics;
    log?: Logger;
    now?: () => number;
  }) {
    this.config = opts.config;
    this.metrics = opts.metrics;
    this.log = opts.log;
    this.now = opts.now ?? Date.now;
    this.failures = limiter(opts.config.preAuthRateLimit, this.now);
    this.quota = limiter(opts.config.runRateLimit, this.now);
    // The quota is keyed by a digest, so the token itself is never a map key or a log field.
    this.tokenKey = opts.config.token
      ? `token:${createHash('sha256').update(opts.config.token).digest('hex')}`
      : undefined;
  }

  /** null when the request may proceed; otherwise why not. */
  admit(address: string, headers: IncomingHttpHeaders): Refusal | null {
    const refusal = this.decide(address, headers);
    if (refusal) this.metrics?.rejections.inc({ reason: refusal.reason });
    return refusal;
  }

  private decide(address: string, headers: IncomingHttpHeaders): Refusal | null {
    if (!this.tokenKey) {
      if (!this.config.allowUnauthenticated) return { status: 503, reason: 'no_token_configured' };
      return this.charge(`address:${address}`);
    }
    const blockedFor = this.failures?.peek(address) ?? 0;
    if (blockedFor > 0 && !this.isKnown(address)) return throttled(blockedFor);
    if (authorize(this.config, headers).ok) {
      this.remember(address);
      return this.charge(this.tokenKey);
    }
    const waitMs = this.failures?.hit(address) ?? 0;
    if (waitMs > 0) {
      if (blockedFor === 0)
        this.log?.warn(
          { ip: address },
          'client address exceeded its failed-authentication budget (SANDBOX_RUN_PREAUTH_RATE_LIMIT); answering 429',
        );
      return throttled(waitMs);
    }
    return { status: 401, reason: 'unauthorized' };
  }

  private charge(key: string): Refusal | null {
    const waitMs = this.quota?.hit(key) ?? 0;
    return waitMs > 0 ? { status: 429, reason: 'rate_limited', retryAfterSeconds: seconds(waitMs) } : null;
  }

  private isKnown(address: string): boolean {
    const at = this.known.get(address);
    return at !== undefined && this.now() - at < KNOWN_CLIENT_MS;
  }

  private remember(address: string): void {
    const now = this.now();
    this.known.delete(address);
    this.known.set(address, now);
    // Only token holders get here, so this stays small; still, drop the stalest beyond the bound.
    if (this.known.size > MAX_KNOWN_CLIENTS) {
      const oldest = this.known.keys().next().value;
      if (oldest !== undefined) this.known.delete(oldest);
    }
  }
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
const throttled = (waitMs: number): Refusal => ({
  status: 429,
  reason: 'auth_throttled',
  retryAfterSeconds: seconds(waitMs),
});

/**
 * Guards every route of a plugin scope (declare it before the routes): the access check as the scope's
 * onRequest hook, and the credentials it accepts as each route's OpenAPI security. `body` words a refusal
 * in the scope's API.
 */
export function guardScope(
  app: FastifyInstance,
  access: AccessControl,
  body: (refusal: Refusal) => unknown,
): void {
  app.addHook('onRequest', accessHook(access, body));
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, security: [{ bearer: [] }, { sandboxToken: [] }] };
  });
}

function accessHook(access: AccessControl, body: (refusal: Refusal) => unknown): onRequestAsyncHookHandler {
  return async (req, reply) => {
    const refusal = access.admit(req.ip, req.headers);
    if (!refusal) return;
    if (refusal.status === 401)
      req.log.warn(
        { ip: req.ip, url: req.url.slice(0, 200) },
        'rejected request with a missing or invalid token',
      );
    if (refusal.status === 429) reply.header('retry-after', String(refusal.retryAfterSeconds));
    await reply.code(refusal.status).send(body(refusal));
  };
}
