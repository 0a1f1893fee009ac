// The static code policy: a profile picks the checks; each language has its own parser and rules.
import { checkJavaScript } from './javascript.ts';
import { checkPython } from './python.ts';
import { allowEverything, type CodePolicy, type PolicyProfile } from './types.ts';

export { checkJavaScript } from './javascript.ts';
export { checkPython } from './python.ts';
export * from './types.ts';

/** The policy for a profile: `strict` checks each language with its own rules, `off` allows everything. */
export function createPolicy(profile: PolicyProfile): CodePolicy {
  if (profile === 'off') return allowEverything;
  return (language, source) => (language === 'python' ? checkPython(source) : checkJavaScript(source));
}
