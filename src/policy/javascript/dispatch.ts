// The node kinds both profiles judge, and where in each sits what is judged: the module an import, an export
// `from` or `import()` names, what an import of process binds, calls, property reads and names. Each profile
// brings its own rules for them, and for the kinds only it judges.
import type * as t from '@babel/types';
import { forEachProcessImport } from './loader.ts';
import type { Call, Member, Visit } from './parse.ts';

/** What every profile's scan keeps: the local names bound to process. */
export interface ProcessAliases {
  processAliases: Set<string>;
}

/** A profile's rules for the shared kinds, each given the profile's scan `S` and, where it matters, the visit `V`. */
export interface NodeRules<S, V extends Visit> {
  /** The module named by an import, an export `from` or `import()`; `user` is the node that names it. */
  module(scan: S, user: t.Node, specifier: t.Node): void;
  /** A named import of process reads that member; `name` is undefined when it is not a plain name. */
  processMember(scan: S, name: string | undefined, at: t.Node): void;
  call(scan: S, call: Call, visit: V): void;
  member(scan: S, member: Member, visit: V): void;
  identifier(scan: S, identifier: t.Identifier, visit: V): void;
  /** Every node of another kind, for the kinds only this profile judges. */
  otherKinds(scan: S, visit: V): void;
}

/** Hands a node to the profile's rule for its kind. */
export function dispatchNode<S extends ProcessAliases, V extends Visit>(
  scan: S,
  visit: V,
  rules: NodeRules<S, V>,
): void {
  const { node } = visit;
  switch (node.type) {
    case 'ImportDeclaration':
      rules.module(scan, node, node.source);
      forEachProcessImport(
        node,
        (alias) => scan.processAliases.add(alias),
        (name, at) => rules.processMember(scan, name, at),
      );
      break;
    case 'ExportAllDeclaration':
    case 'ExportNamedDeclaration':
      if (node.source) rules.module(scan, node, node.source);
      break;
    case 'ImportExpression':
      rules.module(scan, node, node.source);
      break;
    case 'CallExpression':
    case 'OptionalCallExpression':
    case 'NewExpression':
      rules.call(scan, node, visit);
      break;
    case 'MemberExpression':
    case 'OptionalMemberExpression':
      rules.member(scan, node, visit);
      break;
    case 'Identifier':
      rules.identifier(scan, node, visit);
      break;
    default:
      rules.otherKinds(scan, visit);
  }
}
