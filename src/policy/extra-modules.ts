// Modules an operator adds to the strict profile's allow-lists: the import names of the packages added to a
// sandbox image (README, "Add packages"). Only packages: the list never lifts one of the profile's refusals.
import { builtinModules } from 'node:module';
import { BLOCKED_PYTHON_MODULES } from './python/compat.ts';
import { PYTHON_DENIED_MEMBERS } from './python/strict-rules.ts';
import type { ExtraModules } from './types.ts';

/** A top-level import name (`import yaml`), not a dotted path: a package is allowed with its sub-modules. */
const PYTHON_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** An npm package name, scoped or not (`lodash`, `@scope/pkg`): the program may import it and its subpaths. */
const NPM_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/i;

/** Why `name` cannot be an extra module of the `policy` profile, or undefined when it can. */
export function extraModuleProblem(policy: keyof ExtraModules, name: string): string | undefined {
  if (policy === 'python') {
    if (!PYTHON_NAME.test(name)) return 'expected a top-level import name such as yaml';
    if (Object.hasOwn(BLOCKED_PYTHON_MODULES, name) || Object.hasOwn(PYTHON_DENIED_MEMBERS, name))
      return 'a module the policy refuses or restricts on purpose, not a package added to the image';
    return undefined;
  }
  if (!NPM_NAME.test(name)) return 'expected an npm package name such as lodash or @scope/name';
  if (builtinModules.includes(name))
    return 'a Node.js built-in module, which the policy allows or refuses on purpose';
  return undefined;
}
