// How a program reaches the module loader and process by name: require-like calls, the process module and what
// an import of it binds. Shared by both profiles; each reads member names and strings its own way (the strict
// profile folds constants first), so those readers are passed in.
import type * as t from '@babel/types';
import { isMember, type Member, nameOf } from './parse.ts';

/** The members that load a module when called: `module.require`, `process.getBuiltinModule`. */
export const REQUIRE_LIKE: ReadonlySet<string> = new Set(['require', 'getBuiltinModule']);

/** `require(x)`, `module.require(x)`, `require.main.require(x)`, `process.getBuiltinModule(x)`. */
export function isRequireLike(callee: t.Node, memberName: (member: Member) => string | undefined): boolean {
  if (callee.type === 'Identifier') return callee.name === 'require';
  if (!isMember(callee)) return false;
  const property = memberName(callee);
  return property !== undefined && REQUIRE_LIKE.has(property);
}

/** `require('node:process')` and the like: a require-like call whose argument names process. */
export function loadsProcess(
  node: t.Node,
  memberName: (member: Member) => string | undefined,
  stringOf: (node: t.Node) => string | undefined,
): boolean {
  if (node.type !== 'CallExpression' || !isRequireLike(node.callee, memberName)) return false;
  const [argument] = node.arguments;
  const name = argument && stringOf(argument);
  return name !== undefined && isProcessModule(name);
}

function isProcessModule(specifier: string): boolean {
  return specifier === 'process' || specifier === 'node:process';
}

/**
 * What an import of process binds, in order: default and namespace imports are process itself (`onAlias`),
 * named ones read a member of it (`onMember`, with the member's name). Nothing for any other module.
 */
export function forEachProcessImport(
  declaration: t.ImportDeclaration,
  onAlias: (localName: string) => void,
  onMember: (name: string | undefined, at: t.Node) => void,
): void {
  if (!isProcessModule(declaration.source.value)) return;
  for (const specifier of declaration.specifiers) {
    if (specifier.type !== 'ImportSpecifier') onAlias(specifier.local.name);
    else onMember(nameOf(specifier.imported), specifier);
  }
}
