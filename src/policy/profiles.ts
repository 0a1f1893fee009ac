// The policy for a profile, in the caller's thread: what each policy worker runs (index.ts re-exports it).
import { checkJavaScript } from './javascript/index.ts';
import { checkPython } from './python/index.ts';
import { allowEverything, type CheckOptions, type CodePolicy, type PolicyProfile } from './types.ts';

/**
 * The policy for a profile: `strict` and `compat` check each language with its own rules (see README, "The
 * static code policy"), `off` allows everything.
 */
export function createPolicy(profile: PolicyProfile, options: CheckOptions = {}): CodePolicy {
  if (profile === 'off') return allowEverything;
  return (language, source) =>
    language === 'python' ? checkPython(source, profile, options) : checkJavaScript(source, profile);
}
