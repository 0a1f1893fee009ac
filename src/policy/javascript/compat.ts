// The compat profile for JavaScript: upstream RAGFlow's block list (child_process, fs, worker_threads, eval,
// Function, process.binding) plus the bypasses upstream missed. One walk over a Babel AST (./parse.ts).
// Babel recovers from most syntax errors; a program it cannot parse at all is allowed through,
// because Node will report the SyntaxError itself without running any of it.
import type * as t from '@babel/types';
import type { PolicyFinding, PolicyVerdict } from '../types.ts';
import { dispatchNode, type NodeRules } from './dispatch.ts';
import { isRequireLike, loadsProcess } from './loader.ts';
import {
  type Call,
  findingAt,
  isCallee,
  isMember,
  isReference,
  judgeProgram,
  type Member,
  nameOf,
  propertyNameOf,
  type Syntax,
  staticStringOf,
  type Visit,
  walk,
} from './parse.ts';

/**
 * Node built-ins whose import or require is rejected (with or without `node:`, and their subpaths such as
 * `fs/promises`), with the reason for each. Deliberately allowed: `http`, `https`, `http2` and `dns` (axios is
 * built on them and NetworkPolicy is what denies the network), `os` (unlike Python's os it only reports system
 * information), `process` (its dangerous members are caught where they are read).
 */
export const BLOCKED_NODE_MODULES: Readonly<Record<string, string>> = {
  child_process: 'runs programs',
  cluster: 'forks processes',
  worker_threads: 'threads that outlive main() and run source strings (eval: true)',
  fs: 'reads, writes and deletes files',
  vm: 'compiles and runs source strings',
  repl: 'an interactive evaluator',
  inspector: 'the debugger protocol evaluates code in this process',
  v8: 'setFlagsFromString and deserialize reach engine internals',
  module: 'createRequire and Module._load load anything',
  wasi: 'preopened directories give file access',
  net: 'raw sockets, including Unix sockets NetworkPolicy cannot see',
  tls: 'raw TLS sockets, which also open Unix sockets',
  dgram: 'raw UDP sockets',
};

/** Members of `process` that are rejected wherever they are read, with the reason for each. */
export const BLOCKED_PROCESS_MEMBERS: Readonly<Record<string, string>> = {
  binding: 'the internal C++ bindings, e.g. spawn_sync',
  _linkedBinding: 'the internal C++ bindings',
  dlopen: 'loads native code',
  mainModule: 'mainModule.require loads any module',
  execve: 'replaces this process with another program',
  kill: 'signals other processes in the sandbox, such as the runner',
};

// Names too distinctive to belong to anything but process; read from any object, they are flagged outright.
const DISTINCTIVE_PROCESS_MEMBERS = new Set(['_linkedBinding', 'dlopen', 'mainModule', 'execve']);

// Objects whose properties are the globals themselves: `globalThis.eval` is `eval`.
const GLOBAL_OBJECTS = new Set(['globalThis', 'global', 'self', 'window']);

// Objects that reach eval, Function or the bindings when indexed with a name computed at run time.
const COMPUTED_ACCESS_GUARDED = new Set(['globalThis', 'global', 'process']);

// One message for every route to the Function constructor, so a route seen twice is reported once.
const FUNCTION_CONSTRUCTOR_USE = 'Use of the Function constructor';

// Timers that browsers (not Node) evaluate when given a string instead of a function.
const TIMERS = new Set(['setTimeout', 'setInterval']);

// Method names that call a function indirectly: `Function.call(null, 'code')` is `Function('code')`.
const INDIRECT_CALLS = new Set(['call', 'apply', 'bind']);

/** `name.property` where `name` might be bound to process; judged after the walk, once every alias is known. */
interface ProcessMemberAccess {
  object: string;
  member: string;
  at: t.Node;
}

interface Scan {
  findings: PolicyFinding[];
  /** Local names bound to process: `process` itself, `const p = process`, `import p from 'node:process'`. */
  processAliases: Set<string>;
  processMemberAccesses: ProcessMemberAccess[];
}

/** Checks one JavaScript (or TypeScript, its types stripped) program against the compat profile. */
export function checkJavaScriptCompat(source: string, syntax: Syntax = 'javascript'): PolicyVerdict {
  return judgeProgram(source, syntax, findingsOf);
}

function findingsOf(program: t.Program): PolicyFinding[] {
  const scan: Scan = { findings: [], processAliases: new Set(['process']), processMemberAccesses: [] };
  walk(program, (visit) => dispatchNode(scan, visit, RULES));
  judgeProcessMemberAccesses(scan);
  return scan.findings;
}

const RULES: NodeRules<Scan, Visit> = {
  module: checkModuleSpecifier,
  processMember: checkProcessMemberName,
  call: checkCall,
  member: checkMember,
  identifier: checkIdentifier,
  otherKinds: (scan, { node }) => {
    if (node.type === 'VariableDeclarator') checkProcessDestructuring(scan, node);
  },
};

/** The module named by an import, export, `import()` or require-like call: blocked names, and names computed at run time. */
function checkModuleSpecifier(scan: Scan, user: t.Node, specifier: t.Node | undefined): void {
  if (specifier === undefined) return;
  const name = staticStringOf(specifier);
  if (name === undefined) {
    addFinding(scan, user, 'dynamic-module', 'Module loaded from a computed name');
  } else if (isBlockedModule(name)) {
    addFinding(scan, specifier, 'import-blocked-module', `Import of blocked module '${name}'`);
  }
}

function checkCall(scan: Scan, call: Call): void {
  const { callee } = call;
  const [firstArgument] = call.arguments;
  if (isRequireLike(callee, propertyNameOf)) {
    checkModuleSpecifier(scan, call, firstArgument);
    return;
  }
  const global = globalNameOf(callee);
  if (global === 'Function') {
    addFinding(scan, callee, 'blocked-global', "Call of blocked global 'Function'");
  } else if (
    global !== undefined &&
    TIMERS.has(global) &&
    firstArgument &&
    staticStringOf(firstArgument) !== undefined
  ) {
    addFinding(scan, firstArgument, 'string-timer', `Code string passed to '${global}'`);
  } else if (call.type !== 'NewExpression' && isMember(callee) && propertyNameOf(callee) === 'constructor') {
    // Class constructors throw without `new`, so a plain call of `.constructor` is Function-like.
    addFinding(scan, callee, 'function-constructor', FUNCTION_CONSTRUCTOR_USE);
  }
}

function checkMember(scan: Scan, member: Member, visit: Visit): void {
  const property = propertyNameOf(member);
  if (property === undefined) {
    checkComputedMember(scan, member);
    return;
  }
  const objectName = member.object.type === 'Identifier' ? member.object.name : undefined;
  if (property === 'eval' && objectName !== undefined && GLOBAL_OBJECTS.has(objectName)) {
    const use = isCallee(visit) ? 'Call of' : 'Reference to';
    addFinding(scan, member, 'blocked-global', `${use} blocked global 'eval'`);
  } else if (INDIRECT_CALLS.has(property) && objectName !== undefined && isGuardedGlobal(objectName)) {
    addFinding(scan, member, 'blocked-global', `Indirect call of blocked global '${objectName}'`);
  } else if (property === 'constructor') {
    checkConstructorRead(scan, member);
  } else if (Object.hasOwn(BLOCKED_PROCESS_MEMBERS, property)) {
    checkProcessMember(scan, member, property);
  }
}

/** `globalThis[name]` and `process[name]` reach eval, Function and the bindings under any name. */
function checkComputedMember(scan: Scan, member: Member): void {
  const { object } = member;
  if (member.computed && object.type === 'Identifier' && COMPUTED_ACCESS_GUARDED.has(object.name)) {
    addFinding(scan, member, 'computed-global-member', `Computed property of '${object.name}'`);
  }
}

function checkConstructorRead(scan: Scan, member: Member): void {
  const { object } = member;
  if (object.type === 'Identifier' && object.name === 'module') {
    addFinding(scan, member, 'module-constructor', "Access to 'module.constructor'");
  } else if (isFunctionValue(object)) {
    addFinding(scan, member, 'function-constructor', FUNCTION_CONSTRUCTOR_USE);
  }
}

/** Values whose `.constructor` is Function or its async and generator siblings. */
function isFunctionValue(node: t.Node): boolean {
  switch (node.type) {
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      return true;
    case 'CallExpression':
      return isMember(node.callee) && propertyNameOf(node.callee) === 'getPrototypeOf';
    case 'MemberExpression':
      return propertyNameOf(node) === 'prototype' && globalNameOf(node.object) === 'Function';
    default:
      return false;
  }
}

function isGuardedGlobal(name: string): boolean {
  return name === 'Function' || name === 'require';
}

function checkProcessMember(scan: Scan, member: Member, property: string): void {
  const { object } = member;
  if (DISTINCTIVE_PROCESS_MEMBERS.has(property) || globalNameOf(object) === 'process') {
    addFinding(scan, member, 'process-member', `Access to 'process.${property}'`);
  } else if (object.type === 'Identifier') {
    scan.processMemberAccesses.push({ object: object.name, member: property, at: member });
  }
}

function judgeProcessMemberAccesses(scan: Scan): void {
  for (const { object, member, at } of scan.processMemberAccesses) {
    if (scan.processAliases.has(object)) {
      addFinding(scan, at, 'process-member', `Access to 'process.${member}'`);
    }
  }
}

/**
 * `eval` is flagged wherever it is read. `Function` and `require` are flagged where they are handed on as values
 * (`const f = Function`); reading their properties, `typeof require` and `x instanceof Function` stay allowed.
 */
function checkIdentifier(scan: Scan, identifier: t.Identifier, visit: Visit): void {
  const { name } = identifier;
  if ((name !== 'eval' && !isGuardedGlobal(name)) || !isReference(visit)) return;
  if (name === 'eval') {
    addFinding(
      scan,
      identifier,
      'blocked-global',
      `${isCallee(visit) ? 'Call of' : 'Reference to'} blocked global 'eval'`,
    );
  } else if (isHandedOn(visit)) {
    addFinding(scan, identifier, 'blocked-global', `Reference to blocked global '${name}'`);
  }
}

/** Whether a reference passes the value on, rather than calling it, reading a property or testing it. */
function isHandedOn(visit: Visit): boolean {
  switch (visit.parent?.type) {
    case 'CallExpression':
    case 'OptionalCallExpression':
    case 'NewExpression':
      return visit.key !== 'callee';
    case 'MemberExpression':
    case 'OptionalMemberExpression':
    case 'UnaryExpression':
    case 'BinaryExpression':
      return false;
    default:
      return true;
  }
}

/** `const { binding } = process` and `const p = require('node:process')`. */
function checkProcessDestructuring(scan: Scan, declarator: t.VariableDeclarator): void {
  if (!declarator.init || !isProcessObject(declarator.init)) return;
  if (declarator.id.type === 'Identifier') {
    scan.processAliases.add(declarator.id.name);
  } else if (declarator.id.type === 'ObjectPattern') {
    for (const property of declarator.id.properties) {
      if (property.type === 'ObjectProperty' && !property.computed) {
        checkProcessMemberName(scan, nameOf(property.key), property);
      }
    }
  }
}

function checkProcessMemberName(scan: Scan, name: string | undefined, at: t.Node): void {
  if (name !== undefined && Object.hasOwn(BLOCKED_PROCESS_MEMBERS, name)) {
    addFinding(scan, at, 'process-member', `Access to 'process.${name}'`);
  }
}

function isProcessObject(node: t.Node): boolean {
  return globalNameOf(node) === 'process' || loadsProcess(node, propertyNameOf, staticStringOf);
}

/** The global a callee or object names: `eval` for `eval` and for `globalThis.eval`. */
function globalNameOf(node: t.Node): string | undefined {
  if (node.type === 'Identifier') return node.name;
  if (!isMember(node)) return undefined;
  const object = node.object;
  return object.type === 'Identifier' && GLOBAL_OBJECTS.has(object.name) ? propertyNameOf(node) : undefined;
}

function isBlockedModule(specifier: string): boolean {
  const name = specifier.startsWith('node:') ? specifier.slice('node:'.length) : specifier;
  return Object.hasOwn(BLOCKED_NODE_MODULES, name.split('/')[0] ?? '');
}

function addFinding(scan: Scan, at: t.Node, rule: string, message: string): void {
  scan.findings.push(findingAt(at, rule, message));
}
