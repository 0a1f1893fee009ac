// Parsing JavaScript the way Node will run it, and walking Babel's tree. Shared by both profiles.
import { type ParserPlugin, parse } from '@babel/parser';
import type * as t from '@babel/types';
import type { PolicyFinding } from '../types.ts';

// Every syntax Node 24 runs is on by default in Babel 8; these add the stage-3 forms that can still name a module
// (`import source x from 'fs'`, `import defer * as x from 'fs'`). TypeScript and Flow stay off: Node runs neither.
const PARSER_PLUGINS: ParserPlugin[] = [
  'decorators',
  'decoratorAutoAccessors',
  'sourcePhaseImports',
  'deferredImportEvaluation',
];

// AST keys that never hold child nodes worth walking.
const NON_CHILD_KEYS = new Set([
  'loc',
  'start',
  'end',
  'range',
  'extra',
  'leadingComments',
  'trailingComments',
  'innerComments',
]);

// Babel's recursive descent exhausts the stack near 300 levels of nesting, while V8 runs programs nested
// several times deeper; such a program is refused rather than let through unchecked.
export const TOO_DEEP: PolicyFinding = {
  line: 1,
  column: 1,
  rule: 'too-deep',
  message: 'Program nested too deeply to check',
};

/** A node together with where it hangs: `parent[key]` is (or contains) `node`. */
export interface Visit {
  node: t.Node;
  parent: t.Node | undefined;
  key: string;
}

/**
 * Parses as an ES module, falling back to a script; with error recovery, keeps whichever has fewer errors.
 * Undefined when neither parses, which Node will report as a SyntaxError without running anything.
 */
export function parseProgram(source: string): t.Program | 'too-deep' | undefined {
  // Babel builds a SyntaxError per error, one per duplicate declaration of a module read with recovery, and
  // nothing reads their stacks: capturing them cost more than the parse itself (6 ms of a 16 KiB check).
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return parseWithFallbacks(source);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

function parseWithFallbacks(source: string): t.Program | 'too-deep' | undefined {
  // Without recovery first: it stops at the first error, while recovery can collect errors quadratically
  // ("a:" repeated 512 times costs seconds), so only programs with syntax errors pay for it.
  let tooDeep = false;
  for (const sourceType of ['module', 'script'] as const) {
    try {
      return parse(source, { ...optionsFor(sourceType), plugins: PARSER_PLUGINS }).program;
    } catch (error) {
      tooDeep ||= error instanceof RangeError;
    }
  }
  if (tooDeep) return 'too-deep';
  let best: { program: t.Program; errors: number } | undefined;
  for (const sourceType of ['module', 'script'] as const) {
    try {
      const file = parse(source, { ...optionsFor(sourceType), errorRecovery: true, plugins: PARSER_PLUGINS });
      if (file.errors.length === 0) return file.program;
      if (best === undefined || file.errors.length < best.errors) {
        best = { program: file.program, errors: file.errors.length };
      }
    } catch (error) {
      // A SyntaxError is unrecoverable in this source type only; the other may still parse.
      tooDeep ||= error instanceof RangeError;
    }
  }
  return best?.program ?? (tooDeep ? 'too-deep' : undefined);
}

/** A script is read as Node runs it, inside the CommonJS wrapper function: `return` and `new.target` are allowed. */
function optionsFor(sourceType: 'module' | 'script') {
  return sourceType === 'module'
    ? { sourceType }
    : { sourceType, allowReturnOutsideFunction: true, allowNewTargetOutsideFunction: true };
}

/** Visits every node once, depth first, with an explicit stack so deep nesting cannot overflow the call stack. */
export function walk(root: t.Node, onNode: (visit: Visit) => void): void {
  const stack: Visit[] = [{ node: root, parent: undefined, key: '' }];
  for (let visit = stack.pop(); visit !== undefined; visit = stack.pop()) {
    onNode(visit);
    pushChildren(stack, visit.node);
  }
}

function pushChildren(stack: Visit[], parent: t.Node): void {
  forEachChild(parent, (node, key) => stack.push({ node, parent, key }));
}

/** Calls `visit` with each child node of `parent` and the key it hangs under, in field order. */
export function forEachChild(parent: t.Node, visit: (child: t.Node, key: string) => void): void {
  const fields = parent as unknown as Record<string, unknown>;
  // Object.keys rather than Object.entries: allocating an entry pair per field triples the walk time.
  for (const key of Object.keys(fields)) {
    if (NON_CHILD_KEYS.has(key)) continue;
    const value = fields[key];
    if (Array.isArray(value)) {
      for (const element of value) if (isNode(element)) visit(element, key);
    } else if (isNode(value)) {
      visit(value, key);
    }
  }
}

function isNode(value: unknown): value is t.Node {
  return (
    typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
  );
}

/** False where an identifier names a property, a label or a new binding rather than reading a variable. */
export function isReference({ parent, key }: Visit): boolean {
  if (parent === undefined) return true;
  switch (parent.type) {
    case 'MemberExpression':
    case 'OptionalMemberExpression':
      return key !== 'property' || parent.computed;
    case 'ObjectProperty':
    case 'ObjectMethod':
    case 'ClassProperty':
    case 'ClassMethod':
    case 'ClassAccessorProperty':
      return key !== 'key' || parent.computed;
    case 'LabeledStatement':
    case 'BreakStatement':
    case 'ContinueStatement':
    case 'MetaProperty':
    case 'ImportSpecifier':
    case 'ImportDefaultSpecifier':
    case 'ImportNamespaceSpecifier':
    case 'ExportSpecifier':
      return false;
    default:
      return key !== 'id' && key !== 'params';
  }
}

export function isCallee({ parent, key }: Visit): boolean {
  const call = parent?.type === 'CallExpression' || parent?.type === 'OptionalCallExpression';
  return call && key === 'callee';
}

export function isMember(node: t.Node): node is t.MemberExpression | t.OptionalMemberExpression {
  return node.type === 'MemberExpression' || node.type === 'OptionalMemberExpression';
}

/** `a.b` and `a['b']` both name `b`; a computed property only when it is a constant string. */
export function propertyNameOf(member: t.MemberExpression | t.OptionalMemberExpression): string | undefined {
  if (member.computed) return staticStringOf(member.property);
  return member.property.type === 'Identifier' ? member.property.name : undefined;
}

export function nameOf(node: t.Node): string | undefined {
  if (node.type === 'Identifier') return node.name;
  return node.type === 'StringLiteral' ? node.value : undefined;
}

// Deeper `+` chains than this are treated as computed, so an adversarial chain cannot exhaust the call stack.
const MAX_JOIN_DEPTH = 64;

/** The value of a string the program cannot change at run time: literals, plain templates and their `+` joins. */
export function staticStringOf(node: t.Node, depth = 0): string | undefined {
  switch (node.type) {
    case 'StringLiteral':
      return node.value;
    case 'TemplateLiteral':
      return node.expressions.length === 0 ? (node.quasis[0]?.value.cooked ?? undefined) : undefined;
    case 'BinaryExpression': {
      if (node.operator !== '+' || depth >= MAX_JOIN_DEPTH) return undefined;
      const left = staticStringOf(node.left, depth + 1);
      const right = staticStringOf(node.right, depth + 1);
      return left === undefined || right === undefined ? undefined : left + right;
    }
    default:
      return undefined;
  }
}

export function findingAt(at: t.Node, rule: string, message: string): PolicyFinding {
  const start = at.loc?.start;
  return { line: start?.line ?? 1, column: (start?.column ?? 0) + 1, rule, message };
}
