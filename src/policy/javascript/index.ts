// The JavaScript policy: the strict profile (the default) or upstream RAGFlow's block list (compat).
import type { CheckOptions, PolicyVerdict } from '../types.ts';
import { checkJavaScriptCompat } from './compat.ts';
import { checkJavaScriptStrict } from './strict.ts';

export { BLOCKED_NODE_MODULES, checkJavaScriptCompat } from './compat.ts';
export { checkJavaScriptStrict } from './strict.ts';

export function checkJavaScript(
  source: string,
  profile: 'strict' | 'compat' = 'strict',
  options: CheckOptions = {},
): PolicyVerdict {
  return profile === 'compat' ? checkJavaScriptCompat(source) : checkJavaScriptStrict(source, options);
}
