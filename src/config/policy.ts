// The static policy's settings, shared by the API and the controller (both check every program).
import { extraModuleProblem } from '../policy/extra-modules.ts';
import type { ExtraModules, PolicyProfile } from '../policy/types.ts';
import { ConfigError, integer, list, oneOf, type parseEnv, text } from './env.ts';

export interface PolicyConfig {
  profile: PolicyProfile;
  /** Worker threads that run checks off the event loop (the pool starts one more as its spare). */
  workers: number;
  /** A check that runs longer is stopped and its program refused as too complex to check. */
  budgetMs: number;
  /** Heap limit of each worker; a check that needs more is refused the same way. */
  heapMb: number;
  /** Import names the strict profile allows besides its own lists: packages added to the sandbox images. */
  extraModules?: ExtraModules;
}

export const policyShape = {
  CODERUN_POLICY: text('strict'),
  CODERUN_POLICY_WORKERS: integer(2, 1, 64),
  CODERUN_POLICY_BUDGET_MS: integer(2000, 50, 60_000),
  CODERUN_POLICY_HEAP_MB: integer(128, 32, 4096),
  CODERUN_POLICY_PYTHON_MODULES: list(),
  CODERUN_POLICY_JAVASCRIPT_MODULES: list(),
};

type PolicyEnv = ReturnType<typeof parseEnv<typeof policyShape>>;

export function policyConfig(e: PolicyEnv): PolicyConfig {
  return {
    profile: oneOf('CODERUN_POLICY', e.CODERUN_POLICY, ['strict', 'compat', 'off']),
    workers: e.CODERUN_POLICY_WORKERS,
    budgetMs: e.CODERUN_POLICY_BUDGET_MS,
    heapMb: e.CODERUN_POLICY_HEAP_MB,
    extraModules: {
      python: extraModules('CODERUN_POLICY_PYTHON_MODULES', 'python', e.CODERUN_POLICY_PYTHON_MODULES),
      javascript: extraModules(
        'CODERUN_POLICY_JAVASCRIPT_MODULES',
        'javascript',
        e.CODERUN_POLICY_JAVASCRIPT_MODULES,
      ),
    },
  };
}

function extraModules(variable: string, policy: keyof ExtraModules, names: string[]): string[] {
  for (const name of names) {
    const problem = extraModuleProblem(policy, name);
    if (problem !== undefined)
      throw new ConfigError(
        `invalid configuration:\n  ${variable}=${JSON.stringify(names.join(','))}: '${name}' is ${problem}`,
      );
  }
  return [...new Set(names)];
}
