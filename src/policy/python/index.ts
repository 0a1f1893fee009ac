// The Python policy: the strict profile (the default) or upstream RAGFlow's block list (compat), both judging
// the text CPython will run.
import type { CheckOptions, PolicyVerdict } from '../types.ts';
import { checkPythonCompat } from './compat.ts';
import { checkPythonStrict } from './strict.ts';

export { BLOCKED_PYTHON_BUILTINS, BLOCKED_PYTHON_MODULES, checkPythonCompat } from './compat.ts';
export { checkPythonStrict } from './strict.ts';

export function checkPython(
  source: string,
  profile: 'strict' | 'compat' = 'strict',
  options: CheckOptions = {},
): PolicyVerdict {
  return profile === 'compat' ? checkPythonCompat(source, options) : checkPythonStrict(source, options);
}
