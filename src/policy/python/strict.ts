// The strict profile for Python: rules that follow capabilities rather than spellings. Imports come from an
// allow-list down to sub-modules and members; names and attributes are judged wherever they are referenced,
// not only where they are called; underscore attributes are refused on objects the program did not define;
// attribute names given as strings must be constants, folded before they are judged. File access is allowed:
// inside the sandbox it is not a step toward an escape. The tables, each entry with its reason, are in
// ./strict-rules.ts. One walk over lezer's tree of the text CPython will run (./source.ts) collects uses;
// those that depend on imports or on the program's own classes are judged once the walk is done.
import type { SyntaxNode, SyntaxNodeRef } from '@lezer/common';
import { type CheckOptions, type PolicyFinding, type PolicyVerdict, verdictFrom } from '../types.ts';
import {
  childrenOf,
  findingAt,
  identifier,
  type ParsedImport,
  type PythonSource,
  parseImport,
  readPython,
  stringValue,
  walkWithinDepth,
} from './source.ts';
import {
  PYTHON_ALLOWED_MODULES,
  PYTHON_DANGEROUS_MODULE_PATH,
  PYTHON_DENIED_ATTRIBUTES,
  PYTHON_DENIED_BUILTINS,
  PYTHON_DENIED_DUNDER_DEFINITIONS,
  PYTHON_DENIED_MEMBERS,
  PYTHON_MEMBER_ALLOW_LISTS,
  PYTHON_MODULE_DUNDERS,
  PYTHON_NAMED_ATTRIBUTE_BUILTINS,
  PYTHON_NAMED_ATTRIBUTE_FUNCTIONS,
  PYTHON_ORDINARY_DUNDER_NAMES,
  PYTHON_ORDINARY_DUNDERS,
  PYTHON_PLOTTING_BACKENDS,
  PYTHON_PUBLIC_UNDERSCORE_ATTRIBUTES,
} from './strict-rules.ts';

// Longest dotted chain followed back to its root name, and the most nodes one constant fold may visit.
const MAX_CHAIN = 32;

// Callables that must be called directly: handed on as values they take names the policy never sees.
const DIRECT_CALL_ONLY = new Set([...PYTHON_NAMED_ATTRIBUTE_FUNCTIONS, 'pandas.eval']);

/** What the program imported under a name: `import numpy as np` binds np → numpy (a module). */
interface Binding {
  path: string;
  /** Bound by `import x`: the value is the module itself. `from x import y` may bind anything. */
  module: boolean;
}

/** A dotted chain of attributes read from a plain name: `np.ctypeslib.load_library`. */
interface Chain {
  root: string;
  segments: { name: string; at: number }[];
}

interface Scan {
  source: PythonSource;
  text: string;
  findings: PolicyFinding[];
  bindings: Map<string, Binding>;
  /** `x = np.lib`: names bound to a chain, resolved once every import is known. */
  aliases: Map<string, Chain>;
  /** Underscore names the program defines itself (in class bodies, or on self and cls). */
  ownNames: Set<string>;
  /** Names of the classes and functions the program defines. */
  ownClasses: Set<string>;
  ownFunctions: Set<string>;
  /** Names assigned a type: `cls = type(x)`, `cls = x.__class__`. */
  typeNames: Set<string>;
  /** Constant values of expressions already folded, by position and node type. */
  folded: Map<number, Folded>;
  /** Import statements as the first pass read them, by position, for the second. */
  imports: Map<number, ParsedImport>;
  /** Top-level modules the operator allows besides PYTHON_ALLOWED_MODULES (packages added to the image). */
  extraModules: ReadonlySet<string>;
}

/** Checks one Python program against the strict profile. */
export function checkPythonStrict(program: string, options: CheckOptions = {}): PolicyVerdict {
  const read = readPython(program, options.budgetMs);
  if ('verdict' in read) return read.verdict;
  const { source, tree } = read;
  const scan: Scan = {
    source,
    text: source.text,
    findings: [],
    bindings: new Map(),
    aliases: new Map(),
    ownNames: new Set(),
    ownClasses: new Set(),
    ownFunctions: new Set(),
    typeNames: new Set(),
    folded: new Map(),
    imports: new Map(),
    extraModules: options.extraModules ?? new Set(),
  };
  // First what the program defines (imports, aliases, its classes and their private names), then the uses,
  // each judged as it is met.
  tree.iterate({ enter: (node) => collect(scan, node) });
  const tooDeepAt = walkWithinDepth(tree, (node) => visit(scan, node));
  if (tooDeepAt !== undefined) {
    add(scan, tooDeepAt, 'too-deep', 'Program nested too deeply to check');
  }
  return verdictFrom(scan.findings);
}

/** The first pass: imports, aliases, the program's classes and functions, and the private names it defines. */
function collect(scan: Scan, ref: SyntaxNodeRef): boolean {
  switch (ref.name) {
    case 'ImportStatement': {
      const parsed = parseImport(scan.text, ref.node);
      scan.imports.set(spanKey(ref), parsed);
      collectImport(scan, parsed);
      return false;
    }
    case 'AssignStatement':
      recordAlias(scan, ref.node);
      return true;
    case 'VariableName': {
      const node = ref.node;
      const parent = node.parent?.name;
      if (parent === 'ClassDefinition' || parent === 'FunctionDefinition') {
        if (node.prevSibling?.name === 'class' || node.prevSibling?.name === 'def') {
          (parent === 'ClassDefinition' ? scan.ownClasses : scan.ownFunctions).add(textOf(scan, node));
        }
      }
      if (
        scan.text.charCodeAt(ref.from) === UNDERSCORE &&
        roleOf(node) === 'binding' &&
        isInClassBody(node)
      ) {
        scan.ownNames.add(textOf(scan, node));
      }
      return false;
    }
    case 'PropertyName':
      if (scan.text.charCodeAt(ref.from) === UNDERSCORE) collectOwnAttribute(scan, ref.node);
      return false;
    default:
      return true;
  }
}

const UNDERSCORE = 0x5f;

// Offsets stay below 2^20 (programs are at most 256 KiB): the key of a span is exact.
function spanKey(ref: { from: number; to: number }): number {
  return ref.from * 1_048_576 + ref.to;
}

/** The second pass; returns false to skip the children of nodes handled here in full. */
function visit(scan: Scan, ref: SyntaxNodeRef): boolean {
  switch (ref.name) {
    case 'ImportStatement':
      visitImport(scan, scan.imports.get(spanKey(ref)) ?? parseImport(scan.text, ref.node));
      return false;
    case 'VariableName':
      visitName(scan, ref.node);
      return true;
    case 'PropertyName':
      visitProperty(scan, ref.node);
      return true;
    case 'Decorator':
      visitDecorator(scan, ref.node);
      return true;
    case 'CallExpression': {
      const node = ref.node;
      visitCall(scan, node);
      checkFolded(scan, node);
      return true;
    }
    case 'TypeDef':
      visitAnnotation(scan, ref.node);
      return true;
    case 'String':
      checkStringLiteral(scan, ref.node);
      return true;
    case 'FormatString': {
      const node = ref.node;
      checkFormatStringLiterals(scan, node);
      checkFolded(scan, node);
      return true;
    }
    case 'MemberExpression':
      // Only a subscript `[::-1]` folds.
      if (scan.text.charCodeAt(ref.to - 1) === CLOSING_BRACKET) checkFolded(scan, ref.node);
      return true;
    case 'ContinuedString':
    case 'BinaryExpression':
    case 'ParenthesizedExpression':
      checkFolded(scan, ref.node);
      return true;
    default:
      return true;
  }
}

const CLOSING_BRACKET = 0x5d;

// ---------------------------------------------------------------------------------------------------------
// Imports

function collectImport(scan: Scan, parsed: ParsedImport): void {
  const { from } = parsed;
  for (const clause of parsed.clauses) {
    const [first] = clause.path;
    if (first === undefined) continue;
    if (from !== undefined) {
      scan.bindings.set(clause.alias ?? first, { path: [...from.path, first].join('.'), module: false });
    } else if (clause.alias === undefined) {
      scan.bindings.set(first, { path: first, module: true });
    } else {
      scan.bindings.set(clause.alias, { path: clause.path.join('.'), module: true });
    }
  }
}

function visitImport(scan: Scan, parsed: ParsedImport): void {
  const { from } = parsed;
  if (from === undefined) {
    for (const clause of parsed.clauses) {
      const dotted = clause.path.join('.');
      checkModulePath(scan, clause.path, clause.at);
      const [first] = clause.path;
      if (first === undefined) continue;
      if (clause.alias === undefined) scan.bindings.set(first, { path: first, module: true });
      else scan.bindings.set(clause.alias, { path: dotted, module: true });
    }
    return;
  }
  if (from.level > 0) {
    add(scan, from.at, 'relative-import', 'Relative import: the program is a single file, not a package');
    return;
  }
  const module = from.path.join('.');
  if (!checkModulePath(scan, from.path, from.at)) return;
  if (parsed.star && hasMemberRules(module)) {
    add(scan, from.at, 'star-import', `Import of * from '${module}', whose members are restricted`);
  }
  for (const clause of parsed.clauses) {
    const [name] = clause.path;
    if (name === undefined) continue;
    const path = [...from.path, name];
    judgeModuleMember(scan, path, from.path.length, clause.at);
    scan.bindings.set(clause.alias ?? name, { path: path.join('.'), module: false });
  }
}

/** A module path as imported: on the allow-list, and none of its prefixes refused. False when refused. */
function checkModulePath(scan: Scan, path: string[], at: number): boolean {
  const [top] = path;
  if (top === undefined) return false;
  if (!PYTHON_ALLOWED_MODULES.has(top) && !scan.extraModules.has(top)) {
    add(scan, at, 'import-not-allowed', `Import of '${path.join('.')}', which is not on the allow-list`);
    return false;
  }
  return judgeModuleMember(scan, path, 1, at);
}

/** Whether `from module import *` could bring in a refused member. */
function hasMemberRules(module: string): boolean {
  const top = module.split('.')[0] ?? '';
  if (Object.hasOwn(PYTHON_MEMBER_ALLOW_LISTS, top)) return true;
  return Object.keys(PYTHON_DENIED_MEMBERS).some((denied) => denied.startsWith(`${module}.`));
}

/**
 * Judges a dotted path into a module (`numpy.ctypeslib.load_library`), the segments from `firstOwn` on
 * being the program's: refused prefixes, member allow-lists, private and denied names. False when refused.
 */
function judgeModuleMember(scan: Scan, path: string[], firstOwn: number, at: number | number[]): boolean {
  const positionOf = (index: number) => (Array.isArray(at) ? (at[index] ?? at.at(-1) ?? 0) : at);
  for (let length = 2; length <= path.length; length++) {
    const prefix = path.slice(0, length).join('.');
    if (Object.hasOwn(PYTHON_DENIED_MEMBERS, prefix)) {
      add(
        scan,
        positionOf(length - 1),
        'denied-member',
        `Use of '${prefix}' (${PYTHON_DENIED_MEMBERS[prefix]})`,
      );
      return false;
    }
  }
  const [top, member] = path;
  const allowList = top === undefined ? undefined : PYTHON_MEMBER_ALLOW_LISTS[top];
  if (allowList !== undefined && member !== undefined && !allowList.has(member)) {
    add(
      scan,
      positionOf(1),
      'member-not-allowed',
      `Use of '${top}.${member}': '${top}' is limited to an allow-list`,
    );
    return false;
  }
  for (let index = Math.max(1, firstOwn); index < path.length; index++) {
    const name = path[index] ?? '';
    const refusal = moduleSegmentRefusal(name);
    if (refusal !== undefined) {
      add(scan, positionOf(index), refusal.rule, refusal.message);
      return false;
    }
  }
  return true;
}

function moduleSegmentRefusal(name: string): { rule: string; message: string } | undefined {
  if (Object.hasOwn(PYTHON_DENIED_ATTRIBUTES, name)) {
    return { rule: 'denied-attribute', message: deniedAttributeMessage(name) };
  }
  if (isDunder(name)) {
    const ordinary =
      PYTHON_MODULE_DUNDERS.has(name) ||
      (PYTHON_ORDINARY_DUNDERS.has(name) && name !== '__getattr__' && name !== '__dict__');
    return ordinary ? undefined : { rule: 'dunder-attribute', message: `Access to '${name}'` };
  }
  if (name.startsWith('_') && !PYTHON_PUBLIC_UNDERSCORE_ATTRIBUTES.has(name)) {
    return { rule: 'private-member', message: `Access to private member '${name}' of a module` };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Names

type Role = 'read' | 'binding' | 'keyword' | 'attribute' | 'decorator-attribute';

function visitName(scan: Scan, node: SyntaxNode): void {
  const name = textOf(scan, node);
  const role = roleOf(node);
  switch (role) {
    case 'keyword':
    case 'decorator-attribute':
      return;
    case 'attribute':
      // `case C(__globals__=g)` reads the attribute of the matched object.
      judgeAttribute(scan, name, node.from, undefined);
      return;
    case 'binding':
      judgeBinding(scan, node, name);
      return;
  }
  if (Object.hasOwn(PYTHON_DENIED_BUILTINS, name)) {
    if (name === 'vars' && isVarsOfInstance(scan, node)) return;
    const called = isCallee(node);
    add(
      scan,
      node.from,
      called ? 'call-denied-builtin' : 'reference-denied-builtin',
      `${called ? 'Call of' : 'Reference to'} '${name}' (${PYTHON_DENIED_BUILTINS[name]})`,
    );
    return;
  }
  if ((name === 'type' || name === 'object') && isTypeHandedOn(scan, node)) {
    add(
      scan,
      node.from,
      'type-as-value',
      `'${name}' handed on as a value: its __dict__ holds __subclasses__`,
    );
    return;
  }
  if (PYTHON_NAMED_ATTRIBUTE_BUILTINS.has(name) && !isCallee(node)) {
    add(scan, node.from, 'handed-on-builtin', `Reference to '${name}' other than a direct call`);
    return;
  }
  // In a class body `__rmul__ = __mul__` reads a protocol method defined above.
  if (isDunder(name) && !PYTHON_ORDINARY_DUNDER_NAMES.has(name) && !PYTHON_ORDINARY_DUNDERS.has(name)) {
    add(scan, node.from, 'dunder-name', `Access to '${name}'`);
    return;
  }
  // Most names are not imported: look at where the name stands (which costs tree nodes) only for those that are.
  const binding = scan.bindings.get(name);
  if (binding === undefined) return;
  const memberObject =
    isMemberObject(node) ||
    (node.parent?.name === 'Decorator' && node.nextSibling?.name === '.') ||
    isTestedOnly(node);
  if (binding.module && !memberObject) {
    add(scan, node.from, 'module-as-value', `Module '${binding.path}' used as a value`);
  } else if (DIRECT_CALL_ONLY.has(binding.path) && !isCallee(node)) {
    add(scan, node.from, 'handed-on-builtin', `Reference to '${binding.path}' other than a direct call`);
  }
}

function judgeBinding(scan: Scan, node: SyntaxNode, name: string): void {
  if (Object.hasOwn(PYTHON_DENIED_DUNDER_DEFINITIONS, name)) {
    add(
      scan,
      node.from,
      'dunder-definition',
      `Definition of '${name}' (${PYTHON_DENIED_DUNDER_DEFINITIONS[name]})`,
    );
    return;
  }
}

/** How a VariableName is used: read, bound, a keyword argument's name, or an attribute name. */
function roleOf(node: SyntaxNode): Role {
  const parent = node.parent;
  const previous = node.prevSibling?.name;
  const next = node.nextSibling?.name;
  switch (parent?.name) {
    case 'FunctionDefinition':
    case 'ClassDefinition':
      return previous === 'def' || previous === 'class' ? 'binding' : 'read';
    case 'ParamList':
      return previous === 'AssignOp' ? 'read' : 'binding';
    case 'ArgList':
      return next === 'AssignOp' ? 'keyword' : 'read';
    case 'ScopeStatement':
    case 'DeleteStatement':
    case 'CapturePattern':
      return 'binding';
    case 'Decorator':
      return previous === '.' ? 'decorator-attribute' : 'read';
    case 'KeywordPattern':
      return previous === undefined ? 'attribute' : 'binding';
  }
  if (next === 'AssignOp' || next === 'TypeDef' || next === 'UpdateOp' || previous === 'as') return 'binding';
  return isAssignmentTarget(node) ? 'binding' : 'read';
}

/** Targets of `a, (b, *c) = ...` and of `for a, b in ...` (statements and comprehensions). */
function isAssignmentTarget(node: SyntaxNode): boolean {
  let target = node;
  while (
    target.parent &&
    ['TupleExpression', 'ArrayExpression', 'ParenthesizedExpression'].includes(target.parent.name)
  ) {
    target = target.parent;
  }
  const statement = target.parent;
  if (!statement) return false;
  if (statement.name === 'AssignStatement') {
    let lastAssign: SyntaxNode | null = null;
    for (let child = statement.firstChild; child; child = child.nextSibling) {
      if (child.name === 'AssignOp') lastAssign = child;
    }
    return lastAssign !== null && target.to <= lastAssign.from;
  }
  if (statement.name === 'ForStatement' || statement.name.endsWith('ComprehensionExpression')) {
    for (let sibling = target.prevSibling; sibling; sibling = sibling.prevSibling) {
      if (sibling.name === 'for') return true;
      if (sibling.name === 'in' || sibling.name === 'if') return false;
    }
  }
  return false;
}

function isInClassBody(node: SyntaxNode): boolean {
  // A definition's own name sits in its FunctionDefinition; start above it.
  let scope = node.parent?.name === 'FunctionDefinition' ? node.parent.parent : node.parent;
  for (; scope; scope = scope.parent) {
    if (scope.name === 'ClassDefinition') return true;
    if (scope.name === 'FunctionDefinition' || scope.name === 'LambdaExpression') return false;
  }
  return false;
}

function isCallee(node: SyntaxNode): boolean {
  return node.parent?.name === 'CallExpression' && node.parent.firstChild?.from === node.from;
}

/**
 * A value tested rather than passed on: compared (`sns is not None`, `x == y`), negated, or the condition of
 * if, while, assert or a conditional expression. An optional import is tested this way.
 */
function isTestedOnly(node: SyntaxNode): boolean {
  const parent = node.parent;
  const previous = node.prevSibling?.name;
  const next = node.nextSibling?.name;
  switch (parent?.name) {
    case 'BinaryExpression':
      return (
        ['is', 'in', 'not', 'CompareOp'].includes(previous ?? '') ||
        ['is', 'in', 'not', 'CompareOp'].includes(next ?? '')
      );
    case 'UnaryExpression':
      return previous === 'not';
    case 'IfStatement':
    case 'WhileStatement':
    case 'AssertStatement':
      return previous === 'if' || previous === 'elif' || previous === 'while' || previous === 'assert';
    case 'ConditionalExpression':
      return previous === 'if';
    case 'ExpressionStatement':
      return true;
    default:
      return false;
  }
}

/** `name.attribute`, the form in which a module may be used. */
function isMemberObject(node: SyntaxNode): boolean {
  return node.parent?.name === 'MemberExpression' && node.nextSibling?.name === '.';
}

/** `vars(obj)` of an instance is its own attributes; of a module or a type it is getattr by another name. */
function isVarsOfInstance(scan: Scan, node: SyntaxNode): boolean {
  if (!isCallee(node)) return false;
  const args = argumentsWithNames(scan, node.nextSibling);
  const [only] = args.positional;
  if (args.positional.length !== 1 || only === undefined || isTypeObject(scan, only)) return false;
  if (only.name === 'VariableName') {
    const name = textOf(scan, only);
    if (scan.bindings.get(name)?.module)
      add(scan, node.from, 'module-as-value', `Module '${name}' passed to vars`);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// Attributes

function visitProperty(scan: Scan, node: SyntaxNode): void {
  const name = textOf(scan, node);
  const member = node.parent;
  const object = member?.firstChild ?? undefined;
  if (member?.name !== 'MemberExpression' || object === undefined) return;
  const chain = chainOf(scan, member);
  const path = chain && resolveChain(scan, chain);
  if (path === undefined || chain === undefined) {
    judgeAttribute(scan, name, node.from, object);
    return;
  }
  const positions = [...path.basePositions, ...chain.segments.map((segment) => segment.at)];
  if (!judgeModuleMember(scan, path.path, path.firstOwn, positions)) return;
  const dotted = path.path.join('.');
  const callee = member.parent?.name === 'CallExpression' && member.parent.firstChild?.from === member.from;
  if (DIRECT_CALL_ONLY.has(dotted) && !callee) {
    add(scan, node.from, 'handed-on-builtin', `Reference to '${dotted}' other than a direct call`);
  }
}

/** `self._x`, `cls._x`, and `obj._x = ...` make `_x` one of the program's own private names. */
function collectOwnAttribute(scan: Scan, node: SyntaxNode): void {
  const member = node.parent;
  const object = member?.firstChild;
  if (member?.name !== 'MemberExpression' || !object) return;
  if ((object.name === 'VariableName' && isSelf(textOf(scan, object))) || isAssignedAttribute(member)) {
    scan.ownNames.add(textOf(scan, node));
  }
}

function isSelf(name: string): boolean {
  return name === 'self' || name === 'cls';
}

/** `obj._x = ...`, `obj._x += ...` and `obj._x: T = ...` define `_x`. */
function isAssignedAttribute(member: SyntaxNode): boolean {
  const next = member.nextSibling?.name;
  return next === 'AssignOp' || next === 'UpdateOp' || next === 'TypeDef';
}

/** An attribute read from anything but a module: denied names, dunders and other objects' private names. */
function judgeAttribute(scan: Scan, name: string, at: number, object: SyntaxNode | undefined): void {
  const objectName = object?.name === 'VariableName' ? textOf(scan, object) : undefined;
  // The subclasses of a class the program defines are the program's own classes.
  if (name === '__subclasses__' && objectName !== undefined && scan.ownClasses.has(objectName)) return;
  if (Object.hasOwn(PYTHON_DENIED_ATTRIBUTES, name)) {
    add(scan, at, 'denied-attribute', deniedAttributeMessage(name));
    return;
  }
  const onSelf = objectName !== undefined && isSelf(objectName);
  if (isDunder(name)) {
    // An instance's __dict__ is its own attributes; a class's holds descriptors such as __subclasses__.
    if (name === '__dict__' && object !== undefined && isTypeObject(scan, object)) {
      add(scan, at, 'dunder-attribute', "Access to '__dict__' of a type");
      return;
    }
    if (PYTHON_ORDINARY_DUNDERS.has(name) && name !== '__getattr__') return;
    if (scan.ownNames.has(name)) return;
    add(scan, at, 'dunder-attribute', `Access to '${name}'`);
    return;
  }
  if (!name.startsWith('_') || onSelf || scan.ownNames.has(name)) return;
  if (PYTHON_PUBLIC_UNDERSCORE_ATTRIBUTES.has(name)) return;
  add(
    scan,
    at,
    'private-attribute',
    `Access to private attribute '${name}' of an object the program did not define`,
  );
}

/**
 * `type` and `object` may be called, read from, compared, tested against (isinstance) and subclassed; put in a
 * list or a variable they become a type no rule can follow to its `__dict__`.
 */
function isTypeHandedOn(scan: Scan, node: SyntaxNode): boolean {
  const parent = node.parent;
  if (isCallee(node) || isMemberObject(node)) return false;
  switch (parent?.name) {
    case 'ClassDefinition':
    case 'TypeDef':
    case 'BinaryExpression':
      return false;
    case 'ArgList': {
      if (parent.parent?.name === 'ClassDefinition') return false;
      return !isTypeTest(scan, parent.parent);
    }
    case 'TupleExpression':
      return !isTypeTest(scan, parent.parent?.parent ?? null);
    default:
      return !isInsideAnnotation(node);
  }
}

/** isinstance(x, type) and issubclass(c, type). */
function isTypeTest(scan: Scan, call: SyntaxNode | null): boolean {
  const callee = call?.name === 'CallExpression' ? call.firstChild : null;
  return callee?.name === 'VariableName' && ['isinstance', 'issubclass'].includes(textOf(scan, callee));
}

function isInsideAnnotation(node: SyntaxNode): boolean {
  for (let up = node.parent, steps = 0; up && steps < 6; up = up.parent, steps++) {
    if (up.name === 'TypeDef') return true;
  }
  return false;
}

/** `type`, `object`, `type(x)` and `x.__class__`: objects whose `__dict__` holds the type's descriptors. */
function isTypeObject(scan: Scan, object: SyntaxNode): boolean {
  if (object.name === 'VariableName') {
    const name = textOf(scan, object);
    return name === 'type' || name === 'object' || scan.ownClasses.has(name) || scan.typeNames.has(name);
  }
  if (object.name === 'CallExpression') {
    const callee = object.firstChild;
    return callee?.name === 'VariableName' && textOf(scan, callee) === 'type';
  }
  return (
    object.name === 'MemberExpression' &&
    object.lastChild !== null &&
    textOf(scan, object.lastChild) === '__class__'
  );
}

/** The chain under a MemberExpression of dots down to a plain name, if it is one. */
function chainOf(scan: Scan, member: SyntaxNode): Chain | undefined {
  const segments: { name: string; at: number }[] = [];
  let current: SyntaxNode | null = member;
  for (let steps = 0; current?.name === 'MemberExpression'; steps++) {
    if (steps > MAX_CHAIN) return undefined;
    const object: SyntaxNode | null = current.firstChild;
    const dot = object?.nextSibling;
    const property = dot?.nextSibling;
    if (dot?.name !== '.' || property?.name !== 'PropertyName') return undefined;
    segments.unshift({ name: textOf(scan, property), at: property.from });
    current = object;
  }
  if (current?.name !== 'VariableName') return undefined;
  return { root: textOf(scan, current), segments };
}

/** The dotted path a chain reads, when its root is an import or an alias of one. */
function resolveChain(
  scan: Scan,
  chain: Chain,
  depth = 0,
): { path: string[]; firstOwn: number; basePositions: number[] } | undefined {
  const binding = scan.bindings.get(chain.root);
  if (binding !== undefined) {
    const base = binding.path.split('.');
    return {
      path: [...base, ...chain.segments.map((segment) => segment.name)],
      firstOwn: base.length,
      basePositions: base.map(() => chain.segments[0]?.at ?? 0),
    };
  }
  const alias = scan.aliases.get(chain.root);
  if (alias === undefined || depth > 8) return undefined;
  const target = resolveChain(scan, alias, depth + 1);
  if (target === undefined) return undefined;
  return {
    path: [...target.path, ...chain.segments.map((segment) => segment.name)],
    firstOwn: target.path.length,
    basePositions: target.path.map(() => chain.segments[0]?.at ?? 0),
  };
}

const TYPE_EXPRESSION = /\btype\s*\(|__class__|\bmro\b/;

/** `x = np.lib`: later reads of `x.format` are judged as `numpy.lib.format`; `cls = type(x)` names a type. */
function recordAlias(scan: Scan, statement: SyntaxNode): void {
  const parts = childrenOf(statement);
  if (parts.length !== 3 || parts[0]?.name !== 'VariableName' || parts[1]?.name !== 'AssignOp') return;
  const value = parts[2];
  // `t = [type(x)][0]`, `t = x.__class__`: a value built from a type is one.
  const valueText = value === undefined ? '' : scan.text.slice(value.from, value.to);
  if (value !== undefined && (isTypeObject(scan, value) || TYPE_EXPRESSION.test(valueText))) {
    scan.typeNames.add(textOf(scan, parts[0]));
  }
  if (value?.name !== 'MemberExpression') return;
  const chain = chainOf(scan, value);
  if (chain !== undefined) scan.aliases.set(textOf(scan, parts[0]), chain);
}

/** `@a.b.c`: lezer writes decorator paths as names separated by dots. */
function visitDecorator(scan: Scan, decorator: SyntaxNode): void {
  const names = childrenOf(decorator).filter((part) => part.name === 'VariableName');
  const [root, ...rest] = names;
  if (root === undefined || rest.length === 0) return;
  const chain: Chain = {
    root: textOf(scan, root),
    segments: rest.map((part) => ({ name: textOf(scan, part), at: part.from })),
  };
  {
    const path = resolveChain(scan, chain);
    if (path !== undefined) {
      const positions = [...path.basePositions, ...chain.segments.map((segment) => segment.at)];
      judgeModuleMember(scan, path.path, path.firstOwn, positions);
      return;
    }
    for (const segment of chain.segments) judgeAttribute(scan, segment.name, segment.at, undefined);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Calls

interface Arguments {
  positional: SyntaxNode[];
  keywords: Map<string, SyntaxNode>;
}

function visitCall(scan: Scan, call: SyntaxNode): void {
  const callee = call.firstChild;
  const argList = callee?.nextSibling ?? null;
  if (!callee) return;
  const args = argumentsWithNames(scan, argList);
  checkKeywords(scan, args);
  if (callee.name === 'VariableName') {
    const name = textOf(scan, callee);
    if (PYTHON_NAMED_ATTRIBUTE_BUILTINS.has(name)) checkNamedAttribute(scan, name, args);
  }
  if (callee.name === 'MemberExpression') {
    const method = callee.lastChild;
    const methodName = method?.name === 'PropertyName' ? textOf(scan, method) : undefined;
    if (methodName === 'query' || methodName === 'eval')
      checkEvaluatedExpression(scan, callee, methodName, args);
  }
  {
    const path = calleePath(scan, callee);
    if (path === undefined) return;
    if (PYTHON_NAMED_ATTRIBUTE_FUNCTIONS.has(path)) checkAttributeGetter(scan, path, args);
    else if (TIMEIT_CALLS.has(path)) checkTimedStatement(scan, path, args);
    else if (path === 'numpy.load' && args.positional.length >= 3) {
      add(
        scan,
        call.from,
        'pickle',
        'numpy.load with allow_pickle given by position: unpickling runs any callable',
      );
    }
  }
}

function argumentsWithNames(scan: Scan, argList: SyntaxNode | null): Arguments {
  const result: Arguments = { positional: [], keywords: new Map() };
  if (argList?.name !== 'ArgList') return result;
  const parts = childrenOf(argList);
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index];
    if (part === undefined || ['(', ')', ','].includes(part.name)) continue;
    if (part.name === '*' || part.name === '**') {
      index++;
      continue;
    }
    if (part.name === 'VariableName' && parts[index + 1]?.name === 'AssignOp') {
      const value = parts[index + 2];
      if (value !== undefined) result.keywords.set(textOf(scan, part), value);
      index += 2;
      continue;
    }
    result.positional.push(part);
  }
  return result;
}

function calleePath(scan: Scan, callee: SyntaxNode): string | undefined {
  if (callee.name === 'VariableName') {
    const name = textOf(scan, callee);
    return scan.bindings.get(name)?.path ?? resolveAliasPath(scan, name);
  }
  if (callee.name !== 'MemberExpression') return undefined;
  const chain = chainOf(scan, callee);
  return chain && resolveChain(scan, chain)?.path.join('.');
}

function resolveAliasPath(scan: Scan, name: string): string | undefined {
  const alias = scan.aliases.get(name);
  return alias && resolveChain(scan, alias)?.path.join('.');
}

// timeit runs its statement and setup with exec when they are strings; callables are ordinary.
const TIMEIT_CALLS = new Set(['timeit.timeit', 'timeit.repeat', 'timeit.Timer']);

function checkTimedStatement(scan: Scan, path: string, args: Arguments): void {
  const [statement, setup] = args.positional;
  for (const argument of [statement ?? args.keywords.get('stmt'), setup ?? args.keywords.get('setup')]) {
    if (argument === undefined || argument.name === 'LambdaExpression') continue;
    if (argument.name === 'VariableName' && scan.ownFunctions.has(textOf(scan, argument))) continue;
    if (argument.name === 'MemberExpression' || argument.name === 'CallExpression') continue;
    add(
      scan,
      argument.from,
      'evaluated-string',
      `'${path}' with a statement that is not a function: it is executed`,
    );
  }
}

/** Keyword arguments that load pickles or import modules by name. */
function checkKeywords(scan: Scan, args: Arguments): void {
  const pickle = args.keywords.get('allow_pickle');
  if (pickle !== undefined && textOf(scan, pickle) !== 'False') {
    add(scan, pickle.from, 'pickle', 'allow_pickle: unpickling runs any callable');
  }
  const evalStr = args.keywords.get('eval_str');
  if (evalStr !== undefined && textOf(scan, evalStr) !== 'False') {
    add(scan, evalStr.from, 'evaluated-string', 'eval_str: annotations given as strings are evaluated');
  }
  const backend = args.keywords.get('backend');
  if (backend !== undefined) {
    const value = foldString(scan, backend);
    if (value === undefined || !PYTHON_PLOTTING_BACKENDS.test(value)) {
      add(scan, backend.from, 'backend', 'Plotting backend other than a known one: it is imported by name');
    }
  }
}

/**
 * getattr/setattr/delattr(obj, name): a constant name is judged like `obj.name`, and so is each name of a loop
 * over constants (`for agg in ("mean", "sum")`). A name computed at run time is refused for getattr, unless it
 * starts with a constant prefix that no refused name starts with (`getattr(self, f"visit_{kind}")`): strings
 * built at run time would otherwise spell `__globals__`. Setting attributes reads nothing, so setattr and
 * delattr may name them at run time on anything but a module.
 */
function checkNamedAttribute(scan: Scan, builtin: string, args: Arguments): void {
  const [object, nameArgument] = args.positional;
  if (nameArgument === undefined) return;
  const names = constantNamesOf(scan, nameArgument);
  if (names !== undefined) {
    for (const name of names) judgeNamedAttribute(scan, name, object, nameArgument);
    return;
  }
  if (builtin === 'getattr' && !hasSafePrefix(scan, nameArgument)) {
    add(
      scan,
      nameArgument.from,
      'computed-attribute',
      `'${builtin}' with an attribute name computed at run time`,
    );
    return;
  }
  if (object?.name === 'VariableName' && scan.bindings.get(textOf(scan, object))?.module) {
    add(
      scan,
      nameArgument.from,
      'computed-attribute',
      `'${builtin}' on a module with a name computed at run time`,
    );
  }
}

function judgeNamedAttribute(
  scan: Scan,
  name: string,
  object: SyntaxNode | undefined,
  nameArgument: SyntaxNode,
): void {
  if (object?.name === 'VariableName') {
    const path = resolveChain(scan, {
      root: textOf(scan, object),
      segments: [{ name, at: nameArgument.from }],
    });
    if (path !== undefined) {
      judgeModuleMember(scan, path.path, path.firstOwn, nameArgument.from);
      return;
    }
  }
  judgeAttribute(scan, name, nameArgument.from, object);
}

/** The constant names an argument can take: a constant, or the variable of a loop over constants. */
function constantNamesOf(scan: Scan, argument: SyntaxNode): string[] | undefined {
  const value = foldString(scan, argument);
  if (value !== undefined) return [value];
  if (argument.name !== 'VariableName') return undefined;
  const variable = textOf(scan, argument);
  for (let scope = argument.parent; scope; scope = scope.parent) {
    if (scope.name !== 'ForStatement' && !scope.name.endsWith('ComprehensionExpression')) continue;
    const parts = childrenOf(scope);
    const forAt = parts.findIndex((part) => part.name === 'for');
    const target = parts[forAt + 1];
    if (target?.name !== 'VariableName' || textOf(scan, target) !== variable) continue;
    if (parts[forAt + 2]?.name !== 'in') return undefined;
    const iterable = parts[forAt + 3];
    const values = iterable && foldNode(scan, iterable);
    if (Array.isArray(values) && values.every((item) => typeof item === 'string')) return values as string[];
    return undefined;
  }
  return undefined;
}

/** `f"visit_{kind}"` or `"visit_" + kind`: whatever follows, the name cannot be private, a dunder or refused. */
function hasSafePrefix(scan: Scan, argument: SyntaxNode): boolean {
  let prefix: string | undefined;
  if (argument.name === 'FormatString') {
    const first = argument.firstChild;
    const end = first?.name === 'FormatReplacement' ? first.from : argument.to;
    prefix = scan.text.slice(argument.from, end).replace(/^[a-zA-Z]*["']{1,3}/, '');
  } else if (argument.name === 'BinaryExpression') {
    const left = argument.firstChild;
    prefix = left ? foldString(scan, left) : undefined;
  }
  if (!prefix || !/^[A-Za-z]\w*$/.test(prefix)) return false;
  const start = prefix;
  return !Object.keys(PYTHON_DENIED_ATTRIBUTES).some((denied) => denied.startsWith(start));
}

/** operator.attrgetter('a.b') and methodcaller('name'): constant names, each judged as an attribute. */
function checkAttributeGetter(scan: Scan, path: string, args: Arguments): void {
  const names = path === 'operator.methodcaller' ? args.positional.slice(0, 1) : args.positional;
  for (const argument of names) {
    const value = foldString(scan, argument);
    if (value === undefined) {
      add(scan, argument.from, 'computed-attribute', `'${path}' with an attribute name computed at run time`);
      continue;
    }
    for (const name of value.split('.')) judgeAttribute(scan, name.trim(), argument.from, undefined);
  }
}

/**
 * `df.query("...")`, `df.eval("...")` and `pd.eval("...")` evaluate their string. A constant one is checked
 * as code; pandas.eval with a string computed at run time is refused (it resolves names in the caller's scope).
 */
function checkEvaluatedExpression(scan: Scan, callee: SyntaxNode, method: string, args: Arguments): void {
  const [expression] = args.positional;
  if (expression === undefined) return;
  const value = foldString(scan, expression);
  if (value !== undefined) {
    checkExpressionText(scan, value, expression.from, false);
    return;
  }
  if (method !== 'eval') return;
  if (calleePath(scan, callee) === 'pandas.eval') {
    add(scan, expression.from, 'computed-expression', 'pandas.eval of an expression computed at run time');
  }
}

/** A string annotation is evaluated by typing.get_type_hints and friends: it must read as a plain type. */
function visitAnnotation(scan: Scan, typeDef: SyntaxNode): void {
  const annotation = typeDef.lastChild;
  if (annotation?.name !== 'String' && annotation?.name !== 'ContinuedString') return;
  visitAnnotationString(scan, annotation);
}

function visitAnnotationString(scan: Scan, annotation: SyntaxNode): void {
  const value = foldString(scan, annotation);
  if (value === undefined) return;
  if (!/^[\w\s.,[\]|'"]*$/.test(value)) {
    add(
      scan,
      annotation.from,
      'string-annotation',
      'String annotation that is not a plain type: typing evaluates it',
    );
    return;
  }
  checkExpressionText(scan, value, annotation.from, true);
}

/**
 * Python source held in a string (a pandas expression, a string annotation): its names and attribute chains
 * are judged like code. Quoted text and pandas's backtick names are skipped; `@name` is a variable of the caller.
 */
function checkExpressionText(scan: Scan, value: string, at: number, annotation: boolean): void {
  const code = value.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`]*`/g, (quoted) =>
    annotation ? quoted : ' '.repeat(quoted.length),
  );
  for (const match of code.matchAll(/(?<![\w.])@?\s*([A-Za-z_]\w*)((?:\s*\.\s*[A-Za-z_]\w*)*)/g)) {
    const root = identifier(match[1] ?? '');
    const segments = (match[2] ?? '')
      .split('.')
      .map((segment) => segment.trim())
      .filter(Boolean);
    if (Object.hasOwn(PYTHON_DENIED_BUILTINS, root) || PYTHON_NAMED_ATTRIBUTE_BUILTINS.has(root)) {
      add(scan, at, 'evaluated-string', `'${root}' in a string that is evaluated`);
      continue;
    }
    if (isDunder(root) && !PYTHON_ORDINARY_DUNDER_NAMES.has(root)) {
      add(scan, at, 'evaluated-string', `'${root}' in a string that is evaluated`);
      continue;
    }
    const chain: Chain = { root, segments: segments.map((name) => ({ name, at })) };
    {
      const path = resolveChain(scan, chain);
      if (path !== undefined) {
        judgeModuleMember(scan, path.path, path.firstOwn, at);
        return;
      }
      for (const segment of segments) judgeAttribute(scan, segment, at, undefined);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Constant strings

/**
 * The literal text of an f-string between its replacement fields, which are walked as code; and the whole with
 * each field as `0`, so that a path built around a field (`f"/proc/{pid}/mem"`) is judged too.
 */
function checkFormatStringLiterals(scan: Scan, formatString: SyntaxNode): void {
  let from = formatString.from;
  let whole = '';
  for (const field of childrenOf(formatString)) {
    if (field.name !== 'FormatReplacement') continue;
    const literal = scan.text.slice(from, field.from);
    checkConstantValue(scan, from, literal);
    whole += `${literal}0`;
    from = field.to;
  }
  const tail = scan.text.slice(from, formatString.to);
  checkConstantValue(scan, from, tail);
  if (whole === '') return;
  const body = `${whole}${tail}`.replace(QUOTED_BODY, '$1');
  if (PROCESS_MEMORY.test(body) || CODE_FILE.test(body.trim()))
    checkConstantValue(scan, formatString.from, body);
}

// An f-string's text without its prefix and quotes.
const QUOTED_BODY = /^[a-zA-Z]*(?:"""|'''|"|')([\s\S]*?)(?:"""|'''|"|')$/;

function checkStringLiteral(scan: Scan, node: SyntaxNode): void {
  const literal = scan.text.slice(node.from, node.to);
  checkConstantValue(scan, node.from, stringValue(literal) ?? literal);
  // A string anywhere in an annotation is a forward reference that typing evaluates: Optional["..."].
  for (let up = node.parent, steps = 0; up && steps < 8; up = up.parent, steps++) {
    if (up.name === 'TypeDef') {
      if (up.lastChild?.from !== node.from) visitAnnotationString(scan, node);
      return;
    }
    if (up.name.endsWith('Statement') || up.name === 'Body') return;
  }
}

// Expressions that may fold to a constant string. Each is folded once (memoised); a value is checked at the
// outermost expression that folds, so a string built in pieces is judged whole.
const FOLDABLE = new Set([
  'ContinuedString',
  'FormatString',
  'BinaryExpression',
  'ParenthesizedExpression',
  'CallExpression',
  'MemberExpression',
]);

function checkFolded(scan: Scan, node: SyntaxNode): void {
  if (!FOLDABLE.has(node.name)) return;
  const parent = node.parent;
  if (parent && FOLDABLE.has(parent.name) && typeof foldNode(scan, parent) === 'string') return;
  const value = foldNode(scan, node);
  if (typeof value === 'string') checkConstantValue(scan, node.from, value);
}

// Dunders and frame attributes whose name in a string feeds getattr, attrgetter, a `__dict__` lookup or a
// format field ("{0.__globals__}").
const ESCAPE_WORD = new RegExp(
  Object.keys(PYTHON_DENIED_ATTRIBUTES)
    .filter((name) => isDunder(name))
    .join('|') +
    '|\\b(?:' +
    Object.keys(PYTHON_DENIED_ATTRIBUTES)
      .filter((name) => /^(?:f|tb|gi|cr|ag)_/.test(name))
      .join('|') +
    ')\\b',
  'g',
);
const CODE_FILE = /^\S*\.(?:py|pyc|pyo|pth|pyd|so(?:\.\d+)*|dll|dylib)$/i;
// /proc/self/mem and friends; a bare process directory is a path about to be joined with one.
const PROCESS_MEMORY = /\/proc\/[^\s/]+\/(?:task\/[^\s/]+\/)?mem\b|^\/proc\/(?:self|thread-self|\d+)\/?$/;

/** Rules for the value of a constant string, wherever it is used. */
function checkConstantValue(scan: Scan, at: number, value: string): void {
  for (const match of value.matchAll(ESCAPE_WORD)) {
    add(scan, at, 'denied-attribute', deniedAttributeMessage(match[0]));
  }
  const trimmed = value.trim();
  if (trimmed.startsWith('module://')) {
    add(scan, at, 'module-string', 'Module named in a string (module://): matplotlib imports it');
  }
  if (CODE_FILE.test(trimmed)) {
    add(scan, at, 'code-file', `File name of Python code or a native library ('${trimmed}')`);
  }
  if (PROCESS_MEMORY.test(value)) add(scan, at, 'process-memory', 'Access to process memory under /proc');
  if (trimmed === 'allow_pickle')
    add(scan, at, 'pickle', 'allow_pickle named in a string: unpickling runs any callable');
  if (trimmed === 'plotting.backend') {
    add(scan, at, 'module-string', "Use of 'plotting.backend' (imports a module named by a string)");
  }
  if (PYTHON_DANGEROUS_MODULE_PATH.test(trimmed)) {
    add(scan, at, 'module-string', `String naming '${trimmed}', for an import by name`);
  }
  if (value.includes('{')) {
    for (const field of value.matchAll(/\{([^{}!:]*)/g)) {
      for (const attribute of (field[1] ?? '').matchAll(/\.\s*([A-Za-z_]\w*)/g)) {
        const name = attribute[1] ?? '';
        judgeAttribute(scan, name, at, undefined);
      }
    }
  }
}

/** The value of an expression built only from constants: literals, `+`, `*`, `%`, join, format, chr, `[::-1]`. */
function foldString(scan: Scan, node: SyntaxNode): string | undefined {
  const value = foldNode(scan, node);
  return typeof value === 'string' ? value : undefined;
}

type Folded = string | number | Folded[] | undefined;

/** Folds each node once: the walk asks for every nested expression, so results are kept per node. */
function foldNode(scan: Scan, node: SyntaxNode, depth = 0): Folded {
  // Node types stay below 2^10: the key is exact.
  const key = spanKey(node) * 1024 + node.type.id;
  if (scan.folded.has(key)) return scan.folded.get(key);
  if (depth > MAX_CHAIN) return undefined;
  const value = fold(scan, node, depth);
  scan.folded.set(key, value);
  return value;
}

function fold(scan: Scan, node: SyntaxNode, depth: number): Folded {
  const next = (child: SyntaxNode | null | undefined): Folded =>
    child ? foldNode(scan, child, depth + 1) : undefined;
  switch (node.name) {
    case 'String':
      return stringValue(scan.text.slice(node.from, node.to));
    case 'Number': {
      const value = Number(scan.text.slice(node.from, node.to).replaceAll('_', ''));
      return Number.isFinite(value) ? value : undefined;
    }
    case 'ContinuedString':
    case 'FormatString':
      return foldPieces(scan, node, next);
    case 'ParenthesizedExpression':
      return next(node.firstChild?.nextSibling);
    case 'TupleExpression':
    case 'ArrayExpression': {
      const items: Folded[] = [];
      for (const child of childrenOf(node)) {
        if (['(', ')', '[', ']', ','].includes(child.name)) continue;
        const item = next(child);
        if (item === undefined) return undefined;
        items.push(item);
      }
      return items;
    }
    case 'BinaryExpression':
      return foldBinary(scan, node, next);
    case 'CallExpression':
      return foldCall(scan, node, next);
    case 'MemberExpression': {
      // Only `s[::-1]`.
      const parts = childrenOf(node).map((part) => scan.text.slice(part.from, part.to));
      if (parts.slice(1).join('').replace(/\s/g, '') !== '[::-1]') return undefined;
      const value = next(node.firstChild);
      return typeof value === 'string' ? [...value].reverse().join('') : undefined;
    }
    default:
      return undefined;
  }
}

function foldPieces(scan: Scan, node: SyntaxNode, next: (child: SyntaxNode) => Folded): Folded {
  if (node.name === 'ContinuedString') {
    let joined = '';
    for (const part of childrenOf(node)) {
      const value = next(part);
      if (typeof value !== 'string') return undefined;
      joined += value;
    }
    return joined;
  }
  // An f-string whose replacement fields are constants themselves: f"{'__glob'}{'als__'}".
  const fields = childrenOf(node).filter((child) => child.name === 'FormatReplacement');
  if (fields.length === 0)
    return stringValue(scan.text.slice(node.from, node.to))?.replace(/([{}])\1/g, '$1');
  const literal = scan.text.slice(node.from, node.to);
  const prefix = /^[a-zA-Z]*/.exec(literal)?.[0] ?? '';
  const quote =
    literal.slice(prefix.length).startsWith('"""') || literal.slice(prefix.length).startsWith("'''") ? 3 : 1;
  let from = node.from + prefix.length + quote;
  let result = '';
  const literalPart = (to: number) => {
    const raw = scan.text.slice(from, to);
    return /r/i.test(prefix) ? raw : stringValue(`"""${raw}"""`);
  };
  for (const field of fields) {
    const inner = childrenOf(field).filter((child) => child.name !== '{' && child.name !== '}');
    const [expression] = inner;
    if (inner.length !== 1 || expression === undefined) return undefined;
    const value = next(expression);
    const text = literalPart(field.from);
    if (typeof value !== 'string' || text === undefined) return undefined;
    result += text.replace(/([{}])\1/g, '$1') + value;
    from = field.to;
  }
  const tail = literalPart(node.to - quote);
  return tail === undefined ? undefined : result + tail.replace(/([{}])\1/g, '$1');
}

function foldBinary(scan: Scan, node: SyntaxNode, next: (child: SyntaxNode | null) => Folded): Folded {
  const left = node.firstChild;
  const operator = left?.nextSibling;
  const right = operator?.nextSibling ?? null;
  if (!left || !operator) return undefined;
  const op = scan.text.slice(operator.from, operator.to);
  const a = next(left);
  const b = next(right);
  if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
  if (op === '*' && typeof a === 'string' && typeof b === 'number' && b >= 0 && b <= 64) return a.repeat(b);
  if (op === '*' && typeof a === 'number' && typeof b === 'string' && a >= 0 && a <= 64) return b.repeat(a);
  if (op === '%' && typeof a === 'string') {
    const values = Array.isArray(b) ? b : [b];
    let index = 0;
    let ok = true;
    const result = a.replace(/%([sr%])/g, (_, kind: string) => {
      if (kind === '%') return '%';
      const value = values[index++];
      if (typeof value !== 'string' && typeof value !== 'number') ok = false;
      return String(value);
    });
    return ok ? result : undefined;
  }
  return undefined;
}

function foldCall(scan: Scan, node: SyntaxNode, next: (child: SyntaxNode | null) => Folded): Folded {
  const callee = node.firstChild;
  const args = argumentsWithNames(scan, callee?.nextSibling ?? null);
  if (callee?.name === 'VariableName') {
    const name = textOf(scan, callee);
    const [first] = args.positional;
    const value = first === undefined ? undefined : next(first);
    if (
      name === 'chr' &&
      typeof value === 'number' &&
      Number.isInteger(value) &&
      value >= 0 &&
      value < 0x110000
    ) {
      return String.fromCodePoint(value);
    }
    if (name === 'str' && typeof value === 'string') return value;
    return undefined;
  }
  if (callee?.name !== 'MemberExpression') return undefined;
  const method = callee.lastChild;
  if (method?.name !== 'PropertyName') return undefined;
  const object = next(callee.firstChild);
  if (typeof object !== 'string') return undefined;
  const values = args.positional.map((argument) => next(argument));
  const [first, second] = values;
  switch (textOf(scan, method)) {
    case 'join':
      return Array.isArray(first) && first.every((item) => typeof item === 'string')
        ? first.join(object)
        : undefined;
    case 'replace':
      return typeof first === 'string' && typeof second === 'string'
        ? object.replaceAll(first, second)
        : undefined;
    case 'lower':
    case 'casefold':
      return object.toLowerCase();
    case 'upper':
      return object.toUpperCase();
    case 'strip':
      return object.trim();
    case 'format': {
      let index = 0;
      let ok = true;
      const result = object.replace(/\{(\d*)\}/g, (_, position: string) => {
        const value = values[position === '' ? index++ : Number(position)];
        if (typeof value !== 'string' && typeof value !== 'number') ok = false;
        return String(value);
      });
      return ok && args.keywords.size === 0 ? result : undefined;
    }
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------

function deniedAttributeMessage(name: string): string {
  return `Access to '${name}' (${PYTHON_DENIED_ATTRIBUTES[name]})`;
}

function isDunder(name: string): boolean {
  return name.length > 4 && name.startsWith('__') && name.endsWith('__');
}

function textOf(scan: Scan, node: SyntaxNode): string {
  return identifier(scan.text.slice(node.from, node.to));
}

function add(scan: Scan, offset: number, rule: string, message: string): void {
  scan.findings.push(findingAt(scan.source, offset, rule, message));
}
