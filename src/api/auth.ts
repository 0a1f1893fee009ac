// Token authentication as RAGFlow's executor manager does it, failing closed.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export type AuthDecision = { ok: true } | { ok: false; status: 401 | 503; detail: string };

export const MISSING_TOKEN = 'Missing or invalid sandbox executor API token';
export const NO_TOKEN_CONFIGURED =
  'Sandbox executor API token is not configured: set SANDBOX_EXECUTOR_MANAGER_API_TOKEN, or SANDBOX_EXECUTOR_MANAGER_ALLOW_UNAUTHENTICATED=true to run without one';

/** The token from `Authorization: Bearer <t>` or `X-Sandbox-Token: <t>`. */
export function presentedToken(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  const bearer = typeof auth === 'string' ? /^Bearer\s+(.+)$/i.exec(auth.trim())?.[1] : undefined;
  if (bearer) return bearer.trim();
  const header = headers['x-sandbox-token'];
  return typeof header === 'string' && header.trim() ? header.trim() : undefined;
}

/** Compares digests, so the time taken does not depend on where the strings differ, nor on their lengths. */
function sameToken(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

export function authorize(
  config: { token: string | undefined; allowUnauthenticated: boolean },
  headers: IncomingHttpHeaders,
): AuthDecision {
  if (!config.token) {
    return config.allowUnauthenticated
      ? { ok: true }
      : { ok: false, status: 503, detail: NO_TOKEN_CONFIGURED };
  }
  const token = presentedToken(headers);
  if (token !== undefined && sameToken(token, config.token)) return { ok: true };
  return { ok: false, status: 401, detail: MISSING_TOKEN };
}
