// The static code policy: a profile picks the checks; each language has its own parser and rules.
import type { Logger } from 'pino';
import type { PolicyConfig } from '../config/policy.ts';
import { checkJavaScript } from './javascript/index.ts';
import { PolicyPool } from './pool.ts';
import { checkPython } from './python/index.ts';
import {
  type AsyncCodePolicy,
  allowEverything,
  type CheckOptions,
  type CodePolicy,
  type PolicyProfile,
} from './types.ts';

export { checkJavaScript } from './javascript/index.ts';
export { checkPython } from './python/index.ts';
export * from './types.ts';

/**
 * The policy for a profile: `strict` and `compat` check each language with its own rules (see README, "The
 * static code policy"), `off` allows everything.
 */
export function createPolicy(profile: PolicyProfile, options: CheckOptions = {}): CodePolicy {
  if (profile === 'off') return allowEverything;
  return (language, source) =>
    language === 'python' ? checkPython(source, profile, options) : checkJavaScript(source, profile);
}

export interface PolicyChecker {
  check: AsyncCodePolicy;
  close(): Promise<void>;
}

/** The policy as the API and the controller run it: in a pool of worker threads, unless it is off. */
export function startPolicy(config: PolicyConfig, log: Logger): PolicyChecker {
  if (config.profile === 'off') {
    return { check: async (language, source) => allowEverything(language, source), close: async () => {} };
  }
  const pool = new PolicyPool({ ...config, log });
  return { check: pool.check, close: () => pool.close() };
}
