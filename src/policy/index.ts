// The static code policy: a profile picks the checks; each language has its own parser and rules.
import type { Logger } from 'pino';
import type { PolicyConfig } from '../config/policy.ts';
import { checkJavaScript } from './javascript.ts';
import { PolicyPool } from './pool.ts';
import { checkPython } from './python.ts';
import {
  type AsyncCodePolicy,
  allowEverything,
  type CheckOptions,
  type CodePolicy,
  type PolicyProfile,
} from './types.ts';

export { checkJavaScript } from './javascript.ts';
export { checkPython } from './python.ts';
export * from './types.ts';

/** The policy for a profile: `strict` checks each language with its own rules, `off` allows everything. */
export function createPolicy(profile: PolicyProfile, options: CheckOptions = {}): CodePolicy {
  if (profile === 'off') return allowEverything;
  return (language, source) =>
    language === 'python' ? checkPython(source, options) : checkJavaScript(source);
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
