// The strict profile for JavaScript: rules that follow capabilities rather than spellings. Modules come from an
// allow-list (files in the work dir through `fs` included); every route to eval and to the Function constructor
// (`.constructor` reads, reflection over non-enumerable properties, aliases, tagged templates), to the module
// loader (`require` handed on, `arguments` of the CommonJS wrapper, `module`'s internals, `process`'s bindings)
// and to the stack-trace API is refused. Property names are folded from constants before they are judged.
// Node runs a program as CommonJS (sloppy, `this` = module.exports, `arguments` = the wrapper's) or as an ES
// module, so the rules hold for both readings. Tables in ./strict-rules.ts.
import type * as t from '@babel/types';
import type { CheckOptions, PolicyFinding, PolicyVerdict } from '../types.ts';
import { dispatchNode, type NodeRules } from './dispatch.ts';
import { isRequireLike, loadsProcess, REQUIRE_LIKE } from './loader.ts';
import {
  type Call,
  findingAt,
  forEachChild,
  isCallee,
  isMember,
  isReference,
  judgeProgram,
  type Member,
  nameOf,
  type Syntax,
  type Visit as TreeVisit,
} from './parse.ts';
import {
  NODE_ALLOWED_MODULES,
  NODE_DECODERS,
  NODE_DENIED_GLOBALS,
  NODE_DENIED_PROCESS_MEMBERS,
  NODE_DENIED_PROPERTIES,
  NODE_DENIED_REQUIRE_MEMBERS,
  NODE_GLOBAL_OBJECTS,
  NODE_MODULE_MEMBERS,
  NODE_SENSITIVE_NAMES,
} from './strict-rules.ts';

/** Where `this` and `arguments` point: module level, a sloppy function or object method, or a class body. */
type Scope = 'top' | 'plain' | 'class';

interface Visit extends TreeVisit {
  scope: Scope;
  /** Inside a function (arrow functions included) rather than at module level. */
  inFunction: boolean;
  /** Inside a non-arrow function, where `arguments` is the function's own. */
  ownArguments: boolean;
}

interface Scan {
  findings: PolicyFinding[];
  /** Local names bound to process: `const p = process`, `import p from 'node:process'`. */
  processAliases: Set<string>;
  /** Uses judged once every alias of process is known: `name.member` reads and names handed on. */
  memberReads: { object: string; member: string; at: t.Node }[];
  namesHandedOn: { name: string; at: t.Node }[];
  folded: WeakMap<t.Node, Folded>;
  /** Packages the operator allows besides NODE_ALLOWED_MODULES (added to the image), with their subpaths. */
  extraModules: ReadonlySet<string>;
}

type Folded = string | number | Folded[] | undefined;

// Timers that browsers (not Node) evaluate when given a string instead of a function.
const TIMERS = new Set(['setTimeout', 'setInterval']);
const COMPARISONS = new Set(['===', '!==', '==', '!=', 'instanceof', 'in']);
const MAX_FOLD_DEPTH = 32;

/** Checks one JavaScript (or TypeScript, its types stripped) program against the strict profile. */
export function checkJavaScriptStrict(
  source: string,
  options: CheckOptions = {},
  syntax: Syntax = 'javascript',
): PolicyVerdict {
  return judgeProgram(source, syntax, (program) => findingsOf(program, options));
}

function findingsOf(program: t.Program, options: CheckOptions): PolicyFinding[] {
  const scan: Scan = {
    findings: [],
    processAliases: new Set(['process']),
    memberReads: [],
    namesHandedOn: [],
    folded: new WeakMap(),
    extraModules: options.extraModules ?? new Set(),
  };
  walk(program, (visit) => dispatchNode(scan, visit, RULES));
  for (const { object, member, at } of scan.memberReads) {
    if (!scan.processAliases.has(object)) continue;
    if (member === '') add(scan, at, 'computed-global-member', `Property of '${object}' named at run time`);
    else checkProcessMember(scan, member, at);
  }
  for (const { name, at } of scan.namesHandedOn) {
    if (scan.processAliases.has(name))
      add(scan, at, 'process-as-value', `'${name}' (process) handed on as a value`);
  }
  return scan.findings;
}

/** Depth first with an explicit stack, carrying where `this` and `arguments` point. */
function walk(root: t.Node, onNode: (visit: Visit) => void): void {
  const stack: Visit[] = [
    { node: root, parent: undefined, key: '', scope: 'top', inFunction: false, ownArguments: false },
  ];
  for (let visit = stack.pop(); visit !== undefined; visit = stack.pop()) {
    onNode(visit);
    const { node } = visit;
    let { scope, inFunction, ownArguments } = visit;
    switch (node.type) {
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ObjectMethod':
        scope = 'plain';
        inFunction = true;
        ownArguments = true;
        break;
      case 'ClassMethod':
      case 'ClassPrivateMethod':
      case 'StaticBlock':
        scope = 'class';
        inFunction = true;
        ownArguments = true;
        break;
      case 'ClassProperty':
      case 'ClassPrivateProperty':
      case 'ClassAccessorProperty':
        scope = 'class';
        break;
      case 'ArrowFunctionExpression':
        inFunction = true;
        break;
    }
    forEachChild(node, (child, key) =>
      stack.push({ node: child, parent: node, key, scope, inFunction, ownArguments }),
    );
  }
}

const RULES: NodeRules<Scan, Visit> = {
  module: checkModule,
  processMember: checkProcessMemberName,
  call: checkCall,
  member: checkMember,
  identifier: checkIdentifier,
  otherKinds: checkOwnKinds,
};

/** The kinds only the strict profile judges. */
function checkOwnKinds(scan: Scan, visit: Visit): void {
  const { node } = visit;
  switch (node.type) {
    case 'ThisExpression':
      // `var self = this` is an old idiom; what is read from the alias is judged by the property rules.
      if (visit.scope === 'plain' && isHandedOn(visit) && visit.parent?.type !== 'VariableDeclarator') {
        add(
          scan,
          node,
          'sloppy-this',
          "'this' of a plain function handed on: called bare, it is the global object",
        );
      }
      break;
    case 'VariableDeclarator':
      checkDeclarator(scan, node);
      break;
    case 'AssignmentExpression':
      if (node.left.type === 'ObjectPattern' && isProcessLike(scan, node.right)) {
        checkProcessPattern(scan, node.left);
      }
      break;
    case 'ObjectPattern':
      checkPattern(scan, node);
      break;
    case 'WithStatement':
      add(
        scan,
        node,
        'with',
        "'with' statement: its object's properties, constructor included, become names",
      );
      break;
    case 'StringLiteral':
      checkString(scan, node.value, visit);
      break;
    case 'TemplateLiteral':
      for (const quasi of node.quasis) checkString(scan, quasi.value.cooked ?? quasi.value.raw, visit, quasi);
      break;
    case 'ObjectProperty':
      if (!node.computed && nameOf(node.key) === 'socketPath') {
        add(scan, node.key, 'denied-property', deniedPropertyMessage('socketPath'));
      }
      break;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Modules

/** The module named by an import, export, `import()` or require-like call: a constant on the allow-list. */
function checkModule(scan: Scan, user: t.Node, specifier: t.Node | undefined): void {
  if (specifier === undefined) return;
  const name = foldString(scan, specifier);
  if (name === undefined) {
    add(scan, user, 'dynamic-module', 'Module loaded from a name computed at run time');
  } else if (!isAllowedModule(name, scan.extraModules)) {
    add(scan, specifier, 'import-not-allowed', `Import of '${name}', which is not on the allow-list`);
  }
}

function isAllowedModule(specifier: string, extraPackages: ReadonlySet<string>): boolean {
  const builtin = specifier.startsWith('node:');
  const name = builtin ? specifier.slice('node:'.length) : specifier;
  if (NODE_ALLOWED_MODULES.has(name)) return !builtin || name !== 'axios';
  if (builtin) return false;
  // A package's own subpaths are the package's business (its exports decide); built-ins are listed exactly.
  const segments = name.split('/');
  const packageName = segments.slice(0, name.startsWith('@') ? 2 : 1).join('/');
  if (packageName !== 'axios' && !extraPackages.has(packageName)) return false;
  const subpath = name.slice(packageName.length);
  return subpath === '' || (/^\/[\w./-]*$/.test(subpath) && !segments.includes('..'));
}

// ---------------------------------------------------------------------------------------------------------
// Calls

function checkCall(scan: Scan, call: Call): void {
  const { callee } = call;
  const [first] = call.arguments;
  if (isRequireLike(callee, (member) => memberName(scan, member))) {
    checkModule(scan, call, first);
    return;
  }
  if (
    callee.type === 'Identifier' &&
    TIMERS.has(callee.name) &&
    first &&
    foldString(scan, first) !== undefined
  ) {
    add(scan, first, 'string-timer', `Code string passed to '${callee.name}'`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Property reads

function checkMember(scan: Scan, member: Member, visit: Visit): void {
  const name = memberName(scan, member);
  const { object } = member;
  if (name === undefined) {
    checkComputedMember(scan, member, visit);
    return;
  }
  if (Object.hasOwn(NODE_DENIED_PROPERTIES, name)) {
    add(scan, member, 'denied-property', deniedPropertyMessage(name));
    return;
  }
  if (name === 'constructor') {
    checkConstructorRead(scan, member, visit);
    return;
  }
  if (REQUIRE_LIKE.has(name) && !isCallee(visit)) {
    add(scan, member, 'handed-on-loader', `'${name}' read other than as a direct call`);
    return;
  }
  if (object.type === 'Identifier') {
    checkNamedObjectMember(scan, object.name, name, member);
  } else if (isMember(object) && memberName(scan, object) === 'process') {
    checkProcessMember(scan, name, member);
  }
}

/** Members of `process` (and its aliases), `module`, `require` and `Function`, read by name. */
function checkNamedObjectMember(scan: Scan, object: string, name: string, member: t.Node): void {
  if (object === 'module' && !NODE_MODULE_MEMBERS.has(name)) {
    add(scan, member, 'module-member', `Access to 'module.${name}': the module object reaches the loader`);
  } else if (
    object === 'require' &&
    (Object.hasOwn(NODE_DENIED_REQUIRE_MEMBERS, name) || name.startsWith('_'))
  ) {
    add(
      scan,
      member,
      'require-member',
      `Access to 'require.${name}' (${NODE_DENIED_REQUIRE_MEMBERS[name] ?? 'the loader'})`,
    );
  } else if (object === 'Function' && name !== 'prototype') {
    add(scan, member, 'function-constructor', `Use of the Function constructor ('Function.${name}')`);
  } else if (NODE_GLOBAL_OBJECTS.has(object) && name === 'process') {
    // globalThis.process.x is judged where .x is read.
  } else if (Object.hasOwn(NODE_DENIED_PROCESS_MEMBERS, name) || name.startsWith('_')) {
    scan.memberReads.push({ object, member: name, at: member });
  }
}

function checkProcessMember(scan: Scan, name: string, at: t.Node): void {
  if (Object.hasOwn(NODE_DENIED_PROCESS_MEMBERS, name)) {
    add(scan, at, 'process-member', `Access to 'process.${name}' (${NODE_DENIED_PROCESS_MEMBERS[name]})`);
  } else if (name.startsWith('_')) {
    add(scan, at, 'process-member', `Access to 'process.${name}': process internals`);
  }
}

function checkProcessMemberName(scan: Scan, name: string | undefined, at: t.Node): void {
  if (name === undefined) return;
  if (REQUIRE_LIKE.has(name)) add(scan, at, 'handed-on-loader', `'${name}' read other than as a direct call`);
  else checkProcessMember(scan, name, at);
}

/**
 * `.constructor` reaches Function from any function, and Function runs source strings. Reading it is allowed
 * only to name or compare a type (`x.constructor.name`, `x.constructor === Object`) and for `new
 * this.constructor()` without arguments in a class.
 */
function checkConstructorRead(scan: Scan, member: t.Node, visit: Visit): void {
  const { parent, key } = visit;
  if (parent && isMember(parent) && key === 'object' && memberName(scan, parent) === 'name') return;
  // Error.captureStackTrace(this, this.constructor) only uses it to cut the trace.
  if (parent?.type === 'CallExpression' && key === 'arguments' && isMember(parent.callee)) {
    if (memberName(scan, parent.callee) === 'captureStackTrace') return;
  }
  if (parent?.type === 'BinaryExpression' && COMPARISONS.has(parent.operator)) return;
  if (
    parent?.type === 'NewExpression' &&
    key === 'callee' &&
    parent.arguments.length === 0 &&
    visit.scope === 'class' &&
    isMember(member) &&
    member.object.type === 'ThisExpression'
  ) {
    return;
  }
  add(scan, member, 'function-constructor', "Use of the Function constructor (through '.constructor')");
}

/** `obj[key]` with a key computed at run time: refused on the global object, process, module and require. */
function checkComputedMember(scan: Scan, member: Member, visit: Visit): void {
  const { object, property } = member;
  if (!member.computed) return;
  const target = object.type === 'Identifier' ? object.name : undefined;
  const guarded =
    (target !== undefined &&
      (NODE_GLOBAL_OBJECTS.has(target) ||
        target === 'module' ||
        target === 'require' ||
        target === 'process')) ||
    (object.type === 'ThisExpression' && visit.scope !== 'class') ||
    (isMember(object) && ['process', 'globalThis', 'global'].includes(memberName(scan, object) ?? ''));
  if (guarded) {
    add(scan, member, 'computed-global-member', `Property of '${target ?? 'this'}' named at run time`);
    return;
  }
  // Judged once every alias of process is known; an empty member stands for one named at run time.
  if (target !== undefined) scan.memberReads.push({ object: target, member: '', at: member });
  if (callsDecoder(property, 0)) {
    add(
      scan,
      member,
      'decoded-property',
      'Property named through a decoder (atob, fromCharCode, reverse, ...)',
    );
  }
}

/** Whether an expression calls one of the string decoders: `obj[atob('...')]` hides the name it reads. */
function callsDecoder(node: t.Node, depth: number): boolean {
  if (depth > 8) return false;
  switch (node.type) {
    case 'CallExpression':
    case 'OptionalCallExpression': {
      const { callee } = node;
      const name =
        callee.type === 'Identifier'
          ? callee.name
          : isMember(callee)
            ? memberName(undefined, callee)
            : undefined;
      if (name !== undefined && NODE_DECODERS.has(name)) return true;
      return (
        (isMember(callee) && callsDecoder(callee.object, depth + 1)) ||
        node.arguments.some((argument) => callsDecoder(argument, depth + 1))
      );
    }
    case 'BinaryExpression':
      return callsDecoder(node.left, depth + 1) || callsDecoder(node.right, depth + 1);
    case 'TemplateLiteral':
      return node.expressions.some((expression) => callsDecoder(expression, depth + 1));
    case 'MemberExpression':
    case 'OptionalMemberExpression':
      return callsDecoder(node.object, depth + 1);
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Names

function checkIdentifier(scan: Scan, identifier: t.Identifier, visit: Visit): void {
  const { name } = identifier;
  if (!isRead(visit)) return;
  if (Object.hasOwn(NODE_DENIED_GLOBALS, name)) {
    const use = isCallee(visit) ? 'Call of' : 'Reference to';
    add(scan, identifier, 'denied-global', `${use} '${name}' (${NODE_DENIED_GLOBALS[name]})`);
    return;
  }
  const { parent, key } = visit;
  switch (name) {
    case 'Function':
      // Function.prototype, `typeof Function` and `x instanceof Function` are ordinary; the rest constructs.
      if (parent && isMember(parent) && key === 'object') return;
      if (!isHandedOn(visit) && !isCallee(visit) && parent?.type !== 'NewExpression') return;
      add(scan, identifier, 'function-constructor', "Use of the Function constructor ('Function')");
      return;
    case 'require':
      if (isHandedOn(visit)) add(scan, identifier, 'handed-on-loader', "'require' handed on as a value");
      return;
    case 'arguments':
      if (!visit.ownArguments) {
        add(
          scan,
          identifier,
          'wrapper-arguments',
          "'arguments' outside a function: the CommonJS wrapper's, require among them",
        );
      }
      return;
    case 'module':
      if (isHandedOn(visit))
        add(scan, identifier, 'module-as-value', "'module' handed on: it reaches the loader");
      return;
  }
  if (NODE_GLOBAL_OBJECTS.has(name) && isHandedOn(visit)) {
    add(scan, identifier, 'global-as-value', `'${name}' handed on as a value`);
    return;
  }
  if (isHandedOn(visit) && !isAliasDeclaration(visit)) scan.namesHandedOn.push({ name, at: identifier });
}

/**
 * The shared isReference, and besides it the bindings that are not reads: the targets of a pattern or of an
 * assignment to a plain name, a catch parameter, a private field's key.
 */
function isRead(visit: Visit): boolean {
  const { parent, key } = visit;
  switch (parent?.type) {
    case 'ClassPrivateProperty':
      return key !== 'key';
    case 'CatchClause':
      return false;
    case 'AssignmentPattern':
      return key === 'right';
    case 'AssignmentExpression':
      return key === 'right' || parent.left.type === 'MemberExpression';
    case 'ArrayPattern':
    case 'RestElement':
    case 'ObjectPattern':
      return false;
    default:
      return isReference(visit);
  }
}

/** Whether a value is passed on, rather than called, read from, tested or compared. */
function isHandedOn({ parent, key }: Visit): boolean {
  switch (parent?.type) {
    case 'CallExpression':
    case 'OptionalCallExpression':
    case 'NewExpression':
      return key !== 'callee';
    case 'MemberExpression':
    case 'OptionalMemberExpression':
      return key !== 'object';
    case 'UnaryExpression':
      return parent.operator !== 'typeof' && parent.operator !== 'void';
    case 'BinaryExpression':
      return !COMPARISONS.has(parent.operator);
    case 'ExpressionStatement':
      return false;
    default:
      return true;
  }
}

/** `const p = process` and `const { env } = process`: an alias or a destructuring, judged member by member. */
function isAliasDeclaration({ parent, key }: Visit): boolean {
  if (parent?.type === 'VariableDeclarator') return key === 'init';
  return parent?.type === 'AssignmentExpression' && key === 'right' && parent.left.type === 'ObjectPattern';
}

function checkDeclarator(scan: Scan, declarator: t.VariableDeclarator): void {
  if (!declarator.init || !isProcessLike(scan, declarator.init)) return;
  if (declarator.id.type === 'Identifier') scan.processAliases.add(declarator.id.name);
  else if (declarator.id.type === 'ObjectPattern') checkProcessPattern(scan, declarator.id);
}

/** `const { binding, getBuiltinModule: load } = process`. */
function checkProcessPattern(scan: Scan, pattern: t.ObjectPattern): void {
  for (const property of pattern.properties) {
    if (property.type === 'ObjectProperty') {
      checkProcessMemberName(
        scan,
        property.computed ? foldString(scan, property.key) : nameOf(property.key),
        property,
      );
    }
  }
}

/** Destructuring reads properties: `{ constructor: C } = fn`, `{ eval: run } = globalThis`. */
function checkPattern(scan: Scan, pattern: t.ObjectPattern): void {
  for (const property of pattern.properties) {
    if (property.type !== 'ObjectProperty') continue;
    const name = property.computed ? foldString(scan, property.key) : nameOf(property.key);
    if (name === undefined) continue;
    if (Object.hasOwn(NODE_DENIED_PROPERTIES, name)) {
      add(scan, property, 'denied-property', deniedPropertyMessage(name));
    } else if (name === 'constructor') {
      add(scan, property, 'function-constructor', "Use of the Function constructor (through '.constructor')");
    }
  }
}

function isProcessLike(scan: Scan, node: t.Node): boolean {
  if (node.type === 'Identifier') return node.name === 'process' || scan.processAliases.has(node.name);
  if (isMember(node)) return memberName(scan, node) === 'process';
  return loadsProcess(
    node,
    (member) => memberName(scan, member),
    (argument) => foldString(scan, argument),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Strings

const CODE_PATHS = /node_modules|\.node$|\/proc\/[^\s/]+\/(?:task\/[^\s/]+\/)?mem\b/;

/** A string constant: paths that load code, and names of loaders and constructors outside comparisons. */
function checkString(scan: Scan, value: string, visit: Visit, at: t.Node = visit.node): void {
  const path = CODE_PATHS.exec(value);
  if (path) add(scan, at, 'code-path', `Path that loads code or reaches process memory ('${path[0]}')`);
  if (!NODE_SENSITIVE_NAMES.has(value)) return;
  const { parent, key } = visit;
  if (parent?.type === 'BinaryExpression' && COMPARISONS.has(parent.operator)) return;
  if (parent?.type === 'SwitchCase' && key === 'test') return;
  // A computed property `obj['constructor']` is judged as the property it reads.
  if (parent && isMember(parent) && key === 'property') return;
  if ((parent?.type === 'ObjectProperty' || parent?.type === 'ObjectMethod') && key === 'key') return;
  if (parent?.type === 'ImportDeclaration' || parent?.type === 'ExportNamedDeclaration') return;
  add(scan, at, 'sensitive-string', `String '${value}' used as a value: it names a loader or a constructor`);
}

/** The name a member reads: `a.b`, or `a[k]` where k folds to a constant. */
function memberName(scan: Scan | undefined, member: Member): string | undefined {
  if (!member.computed) return member.property.type === 'Identifier' ? member.property.name : undefined;
  if (member.property.type === 'StringLiteral') return member.property.value;
  return scan === undefined ? undefined : foldString(scan, member.property);
}

/** The value of an expression built only from constants: literals, templates, joins, fromCharCode, atob, reverse. */
function foldString(scan: Scan, node: t.Node): string | undefined {
  const value = fold(scan, node, 0);
  return typeof value === 'string' ? value : undefined;
}

function fold(scan: Scan, node: t.Node, depth: number): Folded {
  if (depth > MAX_FOLD_DEPTH) return undefined;
  if (scan.folded.has(node)) return scan.folded.get(node);
  const value = foldUncached(scan, node, depth);
  scan.folded.set(node, value);
  return value;
}

function foldUncached(scan: Scan, node: t.Node, depth: number): Folded {
  const next = (child: t.Node) => fold(scan, child, depth + 1);
  switch (node.type) {
    case 'StringLiteral':
    case 'NumericLiteral':
      return node.value;
    case 'TemplateLiteral': {
      let result = node.quasis[0]?.value.cooked ?? undefined;
      for (const [index, expression] of node.expressions.entries()) {
        const value = next(expression);
        const quasi = node.quasis[index + 1]?.value.cooked;
        if (
          result === undefined ||
          (typeof value !== 'string' && typeof value !== 'number') ||
          quasi == null
        ) {
          return undefined;
        }
        result += String(value) + quasi;
      }
      return result;
    }
    case 'BinaryExpression': {
      if (node.operator !== '+') return undefined;
      const left = next(node.left);
      const right = next(node.right);
      if (typeof left === 'string' || typeof right === 'string') {
        return (typeof left === 'string' || typeof left === 'number') &&
          (typeof right === 'string' || typeof right === 'number')
          ? String(left) + String(right)
          : undefined;
      }
      return undefined;
    }
    case 'ArrayExpression': {
      const items: Folded[] = [];
      for (const element of node.elements) {
        const value = element === null || element.type === 'SpreadElement' ? undefined : next(element);
        if (value === undefined) return undefined;
        items.push(value);
      }
      return items;
    }
    case 'CallExpression':
      return foldCall(scan, node, next);
    default:
      return undefined;
  }
}

function foldCall(scan: Scan, call: t.CallExpression, next: (node: t.Node) => Folded): Folded {
  const { callee } = call;
  const values = call.arguments.map((argument) =>
    argument.type === 'SpreadElement' || argument.type === 'ArgumentPlaceholder' ? undefined : next(argument),
  );
  const [first, second] = values;
  if (callee.type === 'Identifier') {
    if (callee.name === 'atob' && typeof first === 'string') return decodeBase64(first);
    if (callee.name === 'String' && (typeof first === 'string' || typeof first === 'number'))
      return String(first);
    return undefined;
  }
  if (!isMember(callee)) return undefined;
  const method = memberName(scan, callee);
  if (callee.object.type === 'Identifier' && callee.object.name === 'String') {
    if (method === 'fromCharCode' || method === 'fromCodePoint') {
      if (
        !values.every(
          (value) => typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 0x110000,
        )
      ) {
        return undefined;
      }
      return String.fromCodePoint(...(values as number[]));
    }
    return undefined;
  }
  const object = next(callee.object);
  switch (method) {
    case 'join':
      return Array.isArray(object) &&
        object.every((item) => typeof item === 'string' || typeof item === 'number')
        ? object.join(typeof first === 'string' ? first : ',')
        : undefined;
    case 'reverse':
      return Array.isArray(object) ? [...object].reverse() : undefined;
    case 'split':
      return typeof object === 'string' && typeof first === 'string' ? object.split(first) : undefined;
    case 'concat':
      return typeof object === 'string' && values.every((value) => typeof value === 'string')
        ? object + values.join('')
        : undefined;
    case 'replace':
    case 'replaceAll':
      return typeof object === 'string' && typeof first === 'string' && typeof second === 'string'
        ? object.replaceAll(first, second)
        : undefined;
    case 'toLowerCase':
      return typeof object === 'string' ? object.toLowerCase() : undefined;
    case 'toUpperCase':
      return typeof object === 'string' ? object.toUpperCase() : undefined;
    case 'trim':
      return typeof object === 'string' ? object.trim() : undefined;
    default:
      return undefined;
  }
}

function decodeBase64(value: string): string | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return undefined;
  return Buffer.from(value, 'base64').toString('latin1');
}

function deniedPropertyMessage(name: string): string {
  return `Access to '${name}' (${NODE_DENIED_PROPERTIES[name]})`;
}

function add(scan: Scan, at: t.Node, rule: string, message: string): void {
  scan.findings.push(findingAt(at, rule, message));
}
