// The policy for a profile, in the caller's thread: what each policy worker runs (index.ts re-exports it).
import { checkJavaScript, checkTypeScript } from './javascript/index.ts';
import { checkPython } from './python/index.ts';
import {
  allowEverything,
  type CheckOptions,
  type CodePolicy,
  type ExtraModules,
  type PolicyProfile,
} from './types.ts';

export interface PolicyOptions {
  /** Stop and refuse a program once its check has run this long (where the parser can stop early). */
  budgetMs?: number;
  /** Modules the strict profile allows besides its own lists. */
  extraModules?: Partial<ExtraModules>;
}

/**
 * The policy for a profile: `strict` and `compat` check each language with its own rules (see README, "The
 * static code policy"), `off` allows everything.
 */
export function createPolicy(profile: PolicyProfile, options: PolicyOptions = {}): CodePolicy {
  if (profile === 'off') return allowEverything;
  const { budgetMs, extraModules = {} } = options;
  const python: CheckOptions = { budgetMs, extraModules: new Set(extraModules.python) };
  // typescript runs in the Node.js image: its programs may import the same packages.
  const javascript: CheckOptions = { extraModules: new Set(extraModules.javascript) };
  return (language, source) => {
    if (language === 'python') return checkPython(source, profile, python);
    if (language === 'typescript') return checkTypeScript(source, profile, javascript);
    return checkJavaScript(source, profile, javascript);
  };
}
