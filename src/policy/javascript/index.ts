// The JavaScript policy: the strict profile (the default) or upstream RAGFlow's block list (compat). TypeScript
// is checked by the same rules, on the program Node runs: the text with its types stripped.
import type { CheckOptions, PolicyVerdict } from '../types.ts';
import { checkJavaScriptCompat } from './compat.ts';
import type { Syntax } from './parse.ts';
import { checkJavaScriptStrict } from './strict.ts';

export { BLOCKED_NODE_MODULES, checkJavaScriptCompat } from './compat.ts';
export { checkJavaScriptStrict } from './strict.ts';

export function checkJavaScript(
  source: string,
  profile: 'strict' | 'compat' = 'strict',
  options: CheckOptions = {},
  syntax: Syntax = 'javascript',
): PolicyVerdict {
  return profile === 'compat'
    ? checkJavaScriptCompat(source, syntax)
    : checkJavaScriptStrict(source, options, syntax);
}

/** A TypeScript program (the typescript runtime's main.ts), by the JavaScript policy's rules. */
export function checkTypeScript(
  source: string,
  profile: 'strict' | 'compat' = 'strict',
  options: CheckOptions = {},
): PolicyVerdict {
  return checkJavaScript(source, profile, options, 'typescript');
}
