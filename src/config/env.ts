// Reusable zod parsers for environment variables. Each error names the accepted form.
import { z } from 'zod';
import { millicores, parseMemory } from '../kube/quantity.ts';

export const LOG_LEVELS = ['silent', 'trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

const TRUTHY = new Set(['1', 'true', 'yes', 'on']);
const FALSY = new Set(['0', 'false', 'no', 'off', '']);

export const boolean = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return fallback;
      const t = v.trim().toLowerCase();
      if (TRUTHY.has(t)) return true;
      if (FALSY.has(t)) return false;
      ctx.addIssue({ code: 'custom', message: 'expected one of 1|true|yes|on or 0|false|no|off' });
      return z.NEVER;
    });

/**
 * An optional variable read by `read`, given the value, or undefined when it is unset or blank. A null from `read`
 * is refused with `expected`, which names the accepted form.
 */
function variable<T>(expected: string, read: (value: string | undefined) => T | null) {
  return z
    .string()
    .optional()
    .transform((v, ctx) => {
      const value = read(v === undefined || v.trim() === '' ? undefined : v);
      if (value === null) {
        ctx.addIssue({ code: 'custom', message: expected });
        return z.NEVER;
      }
      return value;
    });
}

const SECONDS_PER_UNIT = { s: 1, m: 60, h: 3600 };

/** Seconds as a bare number ("30") or with a unit ("30s", "2m", "1h"), as RAGFlow's SANDBOX_TIMEOUT allows. */
export const seconds = (fallback: number, min = 0, max = 86_400) =>
  variable(`expected seconds between ${min} and ${max}, e.g. 30 or 30s or 2m`, (v) => {
    if (v === undefined) return fallback;
    const m = /^([0-9]+(?:\.[0-9]+)?)\s*(s|m|h)?$/i.exec(v.trim());
    const value = m ? Number(m[1]) * SECONDS_PER_UNIT[(m[2] ?? 's').toLowerCase() as 's' | 'm' | 'h'] : NaN;
    return Number.isFinite(value) && value >= min && value <= max ? Math.ceil(value) : null;
  });

export const integer = (fallback: number, min: number, max: number) =>
  variable(`expected a whole number between ${min} and ${max}`, (v) => {
    if (v === undefined) return fallback;
    const n = Number(v.trim());
    return Number.isInteger(n) && n >= min && n <= max ? n : null;
  });

/** Memory in bytes: a Kubernetes quantity (256Mi) or Docker style (256m). */
export const memory = (fallback: string) =>
  variable('expected a memory size such as 256Mi, 1Gi or 512m', (v) => positive(parseMemory(v ?? fallback)));

/** CPU in millicores: 500m, 1, 1.5. */
export const cpu = (fallback: string) =>
  variable('expected a CPU quantity such as 500m, 1 or 1.5', (v) => positive(millicores(v ?? fallback)));

/** A CPU quantity, or nothing when unset or empty. */
export const optionalCpu = () =>
  variable('expected a CPU quantity such as 200m, 1 or 1.5, or empty', (v) =>
    v === undefined ? undefined : positive(millicores(v)),
  );

/** A quantity only when it is above zero: a zero or negative size is refused like a malformed one. */
function positive(quantity: number | null): number | null {
  return quantity !== null && quantity > 0 ? quantity : null;
}

export const text = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined ? fallback : v.trim()));

/** A comma-separated list; empty means none. */
export const list = () =>
  z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment with one schema; every bad variable is named in the error. */
export function parseEnv<T extends z.ZodRawShape>(shape: T, env: NodeJS.ProcessEnv): z.infer<z.ZodObject<T>> {
  const result = z.object(shape).safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = String(issue.path[0]);
    return `  ${name}=${JSON.stringify(env[name] ?? '')}: ${issue.message}`;
  });
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}

/** The value if it is one of `allowed`; otherwise a ConfigError listing them. */
export function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(
    `invalid configuration:\n  ${name}=${JSON.stringify(value)}: expected one of ${allowed.join('|')}`,
  );
}

/** Refuses a default that is larger than its configured maximum. */
export function atMost(name: string, value: number, maxName: string, max: number): void {
  if (value > max)
    throw new ConfigError(`invalid configuration:\n  ${name} (${value}) exceeds ${maxName} (${max})`);
}
