// The API server's configuration: the variables only it reads (common.ts declares those both commands read),
// each with its default and accepted form, read once at start-up.
import { z } from 'zod';
import { LIMITS } from '../coderun/schema.ts';
import { type CommonConfig, commonConfig, commonShape } from './common.ts';
import { boolean, integer, parseEnv, seconds, text } from './env.ts';

/** At most `max` requests per `windowMs`; null is "unlimited". */
export type RateLimit = { max: number; windowMs: number } | null;

export interface ApiConfig extends CommonConfig {
  host: string;
  port: number;
  /** Namespace the API creates CodeRuns in (the sandbox namespace). */
  namespace: string;
  /** Unset: every protected route answers 503 unless allowUnauthenticated. */
  token: string | undefined;
  allowUnauthenticated: boolean;
  /** Extra wait beyond the run's timeout for scheduling and sandbox start before the API gives up. */
  startBudgetSeconds: number;
  maxInflight: number;
  /** Failed authentications per client address before its further attempts get 429. */
  preAuthRateLimit: RateLimit;
  /** Requests per token (per address when unauthenticated use is allowed) after authentication. */
  runRateLimit: RateLimit;
  bodyLimitBytes: number;
  /** TTL of runs answered over /run: their caller has the whole answer, so they need not stay long in etcd. */
  answeredRunTtlSeconds: number;
  shutdownGraceSeconds: number;
  /**
   * Ready only while the controller's latest isolation self-test passed, read from this ConfigMap (null:
   * readiness does not look at the self-test).
   */
  requireSelfTest: { namespace: string; name: string } | null;
  /** Identifies this replica's runs (label), so its watch sees only what it waits for. */
  replica: string;
}

const WINDOWS: Record<string, number> = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** slowapi's form, as RAGFlow writes it: "30/minute", "120/minute", "5/second"; or "unlimited". */
const rate = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx): RateLimit => {
      const value = v?.trim() ? v.trim() : fallback;
      if (value.toLowerCase() === 'unlimited') return null;
      const m = /^(\d+)\s*\/\s*(second|minute|hour|day)s?$/i.exec(value);
      const max = m ? Number(m[1]) : 0;
      if (!m || max < 1 || !Number.isSafeInteger(max)) {
        ctx.addIssue({
          code: 'custom',
          message: 'expected a rate such as 30/minute, 5/second or 1000/hour, or unlimited',
        });
        return z.NEVER;
      }
      return { max, windowMs: WINDOWS[(m[2] as string).toLowerCase()] as number };
    });

export const apiShape = {
  ...commonShape,
  CODERUN_API_HOST: text('0.0.0.0'),
  CODERUN_API_PORT: integer(9385, 0, 65_535),
  CODERUN_RUN_NAMESPACE: text(''),
  HOSTNAME: text('coderun-api'),
  SANDBOX_EXECUTOR_MANAGER_API_TOKEN: z.string().optional(),
  SANDBOX_EXECUTOR_MANAGER_ALLOW_UNAUTHENTICATED: boolean(false),
  CODERUN_START_BUDGET: seconds(120, 1, 3600),
  CODERUN_MAX_INFLIGHT: integer(32, 1, 10_000),
  SANDBOX_RUN_PREAUTH_RATE_LIMIT: rate('30/minute'),
  // Per token, so one RAGFlow is one client: high enough never to cap it (CODERUN_MAX_INFLIGHT binds first).
  SANDBOX_RUN_RATE_LIMIT: rate('6000/minute'),
  CODERUN_BODY_LIMIT: integer(2 * 2 ** 20, 1024, 64 * 2 ** 20),
  CODERUN_ANSWERED_RUN_TTL: seconds(60, 0, LIMITS.ttlMaxSeconds),
  CODERUN_SHUTDOWN_GRACE: seconds(30, 0, 3600),
  CODERUN_REQUIRE_SELF_TEST: boolean(false),
};

export function loadApiConfig(env: NodeJS.ProcessEnv): ApiConfig {
  const e = parseEnv(apiShape, env);
  const common = commonConfig(e);
  const token = e.SANDBOX_EXECUTOR_MANAGER_API_TOKEN?.trim();
  return {
    ...common,
    host: e.CODERUN_API_HOST,
    port: e.CODERUN_API_PORT,
    namespace: e.CODERUN_RUN_NAMESPACE || e.POD_NAMESPACE,
    token: token ? token : undefined,
    allowUnauthenticated: e.SANDBOX_EXECUTOR_MANAGER_ALLOW_UNAUTHENTICATED,
    startBudgetSeconds: e.CODERUN_START_BUDGET,
    maxInflight: e.CODERUN_MAX_INFLIGHT,
    preAuthRateLimit: e.SANDBOX_RUN_PREAUTH_RATE_LIMIT,
    runRateLimit: e.SANDBOX_RUN_RATE_LIMIT,
    bodyLimitBytes: e.CODERUN_BODY_LIMIT,
    answeredRunTtlSeconds: e.CODERUN_ANSWERED_RUN_TTL,
    shutdownGraceSeconds: e.CODERUN_SHUTDOWN_GRACE,
    requireSelfTest: e.CODERUN_REQUIRE_SELF_TEST
      ? { namespace: e.POD_NAMESPACE, name: e.CODERUN_SELF_TEST_CONFIGMAP }
      : null,
    replica: (e.POD_NAME || e.HOSTNAME)
      .toLowerCase()
      .replace(/[^a-z0-9.-]/g, '-')
      .slice(0, 63),
  };
}
