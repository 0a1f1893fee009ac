// Parsing JavaScript the way Node will run it, and walking Babel's tree. Shared by both profiles.
import { type ParserPlugin, parse } from '@babel/parser';
import type * as t from '@babel/types';
import { type PolicyFinding, type PolicyVerdict, verdictFrom } from '../types.ts';

// Every syntax Node 24 runs is on by default in Babel 8; these add the stage-3 forms that can still name a module
// (`import source x from 'fs'`, `import defer * as x from 'fs'`). Flow stays off: Node does not run it.
const PARSER_PLUGINS: ParserPlugin[] = [
  'decorators',
  'decoratorAutoAccessors',
  'sourcePhaseImports',
  'deferredImportEvaluation',
];
// A .ts program (the typescript runtime), which Node runs by stripping its types.
const TYPESCRIPT_PLUGINS: ParserPlugin[] = [...PARSER_PLUGINS, 'typescript'];

/** The syntax a program is read in: JavaScript, or TypeScript, whose types are stripped before the rules see it. */
export type Syntax = 'javascript' | 'typescript';

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
const TOO_DEEP: PolicyFinding = {
  line: 1,
  column: 1,
  rule: 'too-deep',
  message: 'Program nested too deeply to check',
};

/**
 * A TypeScript program Babel cannot parse is refused, not allowed through as JavaScript's is: Node strips
 * types with another parser (SWC), which may read it, so "Node will refuse it too" does not hold.
 */
const UNPARSABLE_TYPESCRIPT: PolicyFinding = {
  line: 1,
  column: 1,
  rule: 'unparsable',
  message: 'Program the policy cannot parse as TypeScript',
};

/** What a program that does not parse at all gets: nothing for JavaScript (Node refuses it), a refusal for TypeScript. */
function unparsableFindings(syntax: Syntax): PolicyFinding[] {
  return syntax === 'typescript' ? [UNPARSABLE_TYPESCRIPT] : [];
}

/**
 * A profile's verdict on a program: `judge`'s findings on the parsed tree. A program too deep to parse, or that
 * does not parse at all, gets its verdict here, without `judge`.
 */
export function judgeProgram(
  source: string,
  syntax: Syntax,
  judge: (program: t.Program) => readonly PolicyFinding[],
): PolicyVerdict {
  const program = parseProgram(source, syntax);
  if (program === 'too-deep') return verdictFrom([TOO_DEEP]);
  if (program === undefined) return verdictFrom(unparsableFindings(syntax));
  return verdictFrom(judge(program));
}

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
export function parseProgram(
  source: string,
  syntax: Syntax = 'javascript',
): t.Program | 'too-deep' | undefined {
  // Babel builds a SyntaxError per error, one per duplicate declaration of a module read with recovery, and
  // nothing reads their stacks: capturing them cost more than the parse itself (6 ms of a 16 KiB check).
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    const program = parseWithFallbacks(source, syntax === 'typescript' ? TYPESCRIPT_PLUGINS : PARSER_PLUGINS);
    if (syntax === 'typescript' && typeof program === 'object') stripTypes(program);
    return program;
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

function parseWithFallbacks(source: string, plugins: ParserPlugin[]): t.Program | 'too-deep' | undefined {
  // Without recovery first: it stops at the first error, while recovery can collect errors quadratically
  // ("a:" repeated 512 times costs seconds), so only programs with syntax errors pay for it.
  let tooDeep = false;
  for (const sourceType of ['module', 'script'] as const) {
    try {
      return parse(source, { ...optionsFor(sourceType), plugins }).program;
    } catch (error) {
      tooDeep ||= error instanceof RangeError;
    }
  }
  if (tooDeep) return 'too-deep';
  let best: { program: t.Program; errors: number } | undefined;
  for (const sourceType of ['module', 'script'] as const) {
    try {
      const file = parse(source, { ...optionsFor(sourceType), errorRecovery: true, plugins });
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

// ---------------------------------------------------------------------------------------------------------
// TypeScript: the program Node runs is the text with its types stripped, so the rules judge that program. Type
// positions never run (a type named `Function` is no constructor), and `x as T`, `x!` and `<T>x` are x.

/** Keys whose TS nodes are types (annotations, type parameters and arguments, `implements`). */
const TYPE_KEYS = new Set([
  'typeAnnotation',
  'typeParameters',
  'typeArguments',
  'returnType',
  'superTypeParameters',
  'superTypeArguments',
  'implements',
  'predicate',
]);

/** Declarations that are types only: Node erases them whole. */
const TYPE_DECLARATIONS = new Set([
  'TSInterfaceDeclaration',
  'TSTypeAliasDeclaration',
  'TSDeclareFunction',
  'TSDeclareMethod',
  'TSIndexSignature',
]);

/** Expressions that are their inner expression once the types are stripped. */
const TYPE_WRAPPERS = new Set([
  'TSAsExpression',
  'TSSatisfiesExpression',
  'TSNonNullExpression',
  'TSTypeAssertion',
  'TSInstantiationExpression',
]);

/** Whether Node erases `node` from a .ts program: a type, or an ambient (`declare`) declaration. */
function isErased(node: t.Node, key: string): boolean {
  if (TYPE_KEYS.has(key) && node.type.startsWith('TS')) return true;
  return TYPE_DECLARATIONS.has(node.type) || (node as { declare?: boolean }).declare === true;
}

/** The node as it runs: type wrappers unwrapped, `import x = require('m')` as `const x = require('m')`. */
function asRun(node: t.Node): t.Node {
  let current = node;
  for (;;) {
    if (TYPE_WRAPPERS.has(current.type)) current = (current as { expression: t.Node }).expression;
    else if (current.type === 'TSParameterProperty') current = current.parameter;
    else if (current.type === 'TSImportEqualsDeclaration') return importEqualsAsConst(current);
    else return current;
  }
}

/**
 * `import x = require('m')` is CommonJS's `const x = require('m')` (Node refuses it in a .ts file, but the
 * rules judge it like the require it names); `import x = A.B` reads A.B.
 */
function importEqualsAsConst(node: t.TSImportEqualsDeclaration): t.VariableDeclaration {
  const reference = node.moduleReference;
  const at = { loc: node.loc, start: node.start, end: node.end };
  const init: t.Expression =
    reference.type === 'TSExternalModuleReference'
      ? ({
          type: 'CallExpression',
          callee: { type: 'Identifier', name: 'require', ...at },
          arguments: [reference.expression],
          ...at,
        } as t.CallExpression)
      : entityAsExpression(reference);
  return {
    type: 'VariableDeclaration',
    kind: 'const',
    declarations: [{ type: 'VariableDeclarator', id: node.id, init, ...at } as t.VariableDeclarator],
    ...at,
  } as t.VariableDeclaration;
}

function entityAsExpression(entity: t.Node): t.Expression {
  if (entity.type !== 'TSQualifiedName') return entity as t.Expression;
  return {
    type: 'MemberExpression',
    object: entityAsExpression(entity.left),
    property: entity.right,
    computed: false,
    loc: entity.loc,
    start: entity.start,
    end: entity.end,
  } as t.MemberExpression;
}

/** Strips the types from a TypeScript program's tree in place, with an explicit stack like `walk`. */
function stripTypes(program: t.Program): void {
  const stack: t.Node[] = [program];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    const fields = node as unknown as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      if (NON_CHILD_KEYS.has(key)) continue;
      const value = fields[key];
      if (Array.isArray(value)) {
        const kept: unknown[] = [];
        for (const element of value) {
          if (!isNode(element)) kept.push(element);
          else if (!isErased(element, key)) kept.push(asRun(element));
        }
        fields[key] = kept;
        for (const element of kept) if (isNode(element)) stack.push(element);
      } else if (isNode(value)) {
        if (isErased(value, key)) {
          fields[key] = null;
        } else {
          const run = asRun(value);
          fields[key] = run;
          stack.push(run);
        }
      }
    }
  }
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
    // `{ a: b }` in a pattern binds b; in an object literal it reads b. The key is never a read.
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

export type Call = t.CallExpression | t.OptionalCallExpression | t.NewExpression;
export type Member = t.MemberExpression | t.OptionalMemberExpression;

export function isMember(node: t.Node): node is Member {
  return node.type === 'MemberExpression' || node.type === 'OptionalMemberExpression';
}

/** `a.b` and `a['b']` both name `b`; a computed property only when it is a constant string. */
export function propertyNameOf(member: Member): string | undefined {
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
