// The static code policy: a profile picks the checks; each language has its own parser and rules.
import type { Logger } from 'pino';
import type { PolicyConfig } from '../config/policy.ts';
import { PolicyPool, type PoolWorkers } from './pool.ts';
import { type AsyncCodePolicy, allowEverything } from './types.ts';

export { checkJavaScript, checkTypeScript } from './javascript/index.ts';
export { createPolicy } from './profiles.ts';
export { checkPython } from './python/index.ts';
export * from './types.ts';

/** What the checker's workers are doing, for metrics. */
export interface PolicyState extends PoolWorkers {
  /** Checks waiting for a worker. */
  waiting: number;
}

/** A pool with no workers: the policy off, or nothing started yet. */
export const NO_POLICY_WORKERS: PolicyState = Object.freeze({
  waiting: 0,
  serving: 0,
  warm: 0,
  spare: 'none',
});

export interface PolicyChecker {
  check: AsyncCodePolicy;
  /** Resolves once every worker has warmed up (at once when the policy is off). */
  warmedUp(): Promise<void>;
  state(): PolicyState;
  close(): Promise<void>;
}

/** The policy as the API and the controller run it: in a pool of worker threads, unless it is off. */
export function startPolicy(config: PolicyConfig, log: Logger): PolicyChecker {
  if (config.profile === 'off') {
    return {
      check: async (language, source) => allowEverything(language, source),
      warmedUp: async () => {},
      state: () => NO_POLICY_WORKERS,
      close: async () => {},
    };
  }
  const pool = new PolicyPool({ ...config, log });
  return {
    check: pool.check,
    warmedUp: () => pool.warmedUp(),
    state: () => ({ waiting: pool.waiting, ...pool.workers }),
    close: () => pool.close(),
  };
}
