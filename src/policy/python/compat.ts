// The compat profile for Python: upstream RAGFlow's block list (the modules and builtins its analyzer
// refuses, so a RAGFlow user gets the -999 answers they know) plus the bypasses upstream missed, without its
// false positives. One walk over a lezer parse tree of the text CPython will run (./source.ts).
// Lezer recovers from syntax errors, so a broken program is still checked for what it visibly does,
// and the syntax error itself is left to the interpreter to report.
import type { SyntaxNode, SyntaxNodeRef } from '@lezer/common';
import { type CheckOptions, type PolicyFinding, type PolicyVerdict, verdictFrom } from '../types.ts';
import {
  childrenOf,
  findingAt,
  identifier,
  type PythonSource,
  readPython,
  walkWithinDepth,
} from './source.ts';

/**
 * Modules whose import is rejected, matched on the first dotted segment, with the reason for each.
 * Deliberately allowed: `asyncio` (async code must run; its subprocess helpers are caught as attributes),
 * `io` (StringIO/BytesIO are everyday; `io.open` and `io.FileIO` are caught as members),
 * `urllib`, `http` and `requests` (the image ships requests, and NetworkPolicy is what denies the network),
 * `concurrent` (pools run the same checked code inside the same sandbox).
 */
export const BLOCKED_PYTHON_MODULES: Readonly<Record<string, string>> = {
  os: 'processes, files and the environment (upstream)',
  posix: 'the C layer under os',
  nt: 'the C layer under os on Windows',
  subprocess: 'runs programs (upstream)',
  _posixsubprocess: 'fork_exec, the C layer under subprocess',
  pty: 'spawns shells',
  sys: 'sys.modules and frames reach every module (upstream)',
  shutil: 'copies and deletes files (upstream)',
  pathlib: 'reads, writes and deletes files: open() and os by another name',
  tempfile: 'creates files and re-exports os',
  glob: 'lists directories',
  fileinput: 'open() by another name',
  socket: 'raw sockets, including Unix sockets NetworkPolicy cannot see (upstream)',
  ftplib: 'network client blocked upstream',
  telnetlib: 'network client blocked upstream',
  ctypes: 'calls C directly, e.g. libc system() (upstream)',
  pickle: 'unpickling runs arbitrary callables (upstream)',
  marshal: 'loads raw code objects',
  shelve: 'pickle-backed storage',
  threading: 'background threads outlive main() (upstream)',
  _thread: 'the primitive under threading',
  multiprocessing: 'forks processes (upstream)',
  builtins: 'the unrestricted eval, exec, open and __import__',
  importlib: 'imports any module from a string',
  imp: 'importlib before Python 3.12',
  _imp: 'the C layer under importlib',
  _frozen_importlib: 'the import system itself',
  _frozen_importlib_external: 'the import system itself',
  pkgutil: 'resolve_name imports any module from a string',
  runpy: 'runs modules and files as __main__',
  code: 'an interactive interpreter: exec by another name',
  codeop: 'compiles source for an interactive interpreter',
  timeit: 'executes source strings: exec by another name',
  pdb: 'the debugger executes arbitrary statements',
  bdb: 'the debugger framework under pdb',
  inspect: 'frames and their globals',
  gc: 'get_objects and get_referrers reach every module and frame',
  signal: 'handlers and alarms interfere with the runner’s timeout',
  resource: 'changes the process limits',
  fcntl: 'raw file descriptor control',
  pydoc: 'pipepager runs shell commands',
  webbrowser: 'launches programs',
};

/** Builtins whose call is rejected, with the reason for each. `input` stays allowed: it only reads an empty stdin. */
export const BLOCKED_PYTHON_BUILTINS: Readonly<Record<string, string>> = {
  eval: 'runs source the policy cannot see (upstream)',
  exec: 'runs source the policy cannot see (upstream)',
  compile: 'builds code objects for eval and exec (upstream)',
  __import__: 'imports any module from a string (upstream)',
  open: 'file access (upstream)',
  getattr: 'string attribute names defeat every attribute rule (upstream)',
  setattr: 'rewrites attributes of modules and classes (upstream)',
  delattr: 'the twin of setattr',
  globals: 'reaches __builtins__ (upstream)',
  locals: 'reaches the frame namespace (upstream)',
  vars: 'vars(module) is the module __dict__',
  breakpoint: 'starts pdb, which executes arbitrary statements',
};

// Programs name variables `open` (prices), `vars` and `locals`, so only calls of these are flagged;
// the other blocked builtins are flagged wherever they are used as a value, e.g. `f = eval`.
const BUILTINS_FLAGGED_ONLY_WHEN_CALLED = new Set(['open', 'vars', 'locals']);

/**
 * Attributes that are sandbox escape hatches whatever object they are read from, with the reason for each.
 * `__class__` is absent on purpose: `self.__class__.__name__` is ordinary, and every escape chain through it
 * continues with `__bases__`, `__base__`, `__mro__` or `__subclasses__`, which are here.
 */
export const PYTHON_ESCAPE_ATTRIBUTES: Readonly<Record<string, string>> = {
  __builtins__: 'the unrestricted builtins',
  __import__: 'imports any module from a string',
  __subclasses__: 'lists every loaded class, the classic escape',
  __bases__: 'climbs to object on the way to __subclasses__',
  __base__: 'climbs to object on the way to __subclasses__',
  __mro__: 'climbs to object on the way to __subclasses__',
  __globals__: 'the module namespace of a function, including __builtins__',
  __code__: 'raw code objects',
  __self__: 'on a builtin function it is the builtins module',
  __getattribute__: 'getattr by another name',
  __loader__: 'load_module imports any module',
  __spec__: 'its loader imports any module',
  f_globals: 'frame globals',
  f_locals: 'frame locals',
  f_builtins: 'frame builtins',
  f_back: 'walks up to the runner’s frames',
  tb_frame: 'the frame behind a traceback',
  gi_frame: 'the frame behind a generator',
  cr_frame: 'the frame behind a coroutine',
  ag_frame: 'the frame behind an async generator',
  create_subprocess_exec: 'asyncio runs programs',
  create_subprocess_shell: 'asyncio runs shell commands',
  subprocess_exec: 'an event loop runs programs',
  subprocess_shell: 'an event loop runs shell commands',
};

// Module-level names through which the escape attributes are reachable without an attribute access.
const ESCAPE_GLOBALS = new Set(['__builtins__', '__loader__', '__spec__']);

// A dunder escape spelled inside a string feeds getattr, attrgetter or str.format ("{0.__globals__}").
const ESCAPE_DUNDER_IN_STRING = new RegExp(
  Object.keys(PYTHON_ESCAPE_ATTRIBUTES)
    .filter((name) => name.startsWith('__'))
    .join('|'),
  'g',
);

/**
 * Attribute names under which stdlib and third-party modules re-export dangerous modules
 * (`random._os`, `collections._sys`, `logging.os`, `np.ctypeslib.ctypes`); ordinary code never reads them.
 */
export const REEXPORTED_MODULE_ATTRIBUTES: ReadonlySet<string> = new Set([
  'os',
  '_os',
  'sys',
  '_sys',
  'subprocess',
  '_subprocess',
  'shutil',
  '_shutil',
  'builtins',
  '_builtins',
  'importlib',
  '_importlib',
  'posix',
  '_posix',
  'ctypes',
  '_ctypes',
  '_socket',
  '_pickle',
  '_posixsubprocess',
]);

/** Members of allowed modules that are blocked builtins by another name. */
export const BLOCKED_PYTHON_MODULE_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  io: ['open', 'open_code', 'FileIO'],
  _io: ['open', 'open_code', 'FileIO'],
  codecs: ['open'],
};

/** `object.attribute` where `object` is a plain name; judged after the walk, once every import is known. */
interface MemberAccess {
  object: string;
  attribute: string;
  at: number;
}

interface Scan {
  prepared: PythonSource;
  source: string;
  findings: PolicyFinding[];
  /** Local name → the dotted module path it was imported as (`np` → `numpy`, `path` → `os.path`). */
  moduleBindings: Map<string, string>;
  memberAccesses: MemberAccess[];
}

/** Checks one Python program against the compat profile. */
export function checkPythonCompat(program: string, options: CheckOptions = {}): PolicyVerdict {
  const read = readPython(program, options.budgetMs);
  if ('verdict' in read) return read.verdict;
  const { source: prepared, tree } = read;
  const scan: Scan = {
    prepared,
    source: prepared.text,
    findings: [],
    moduleBindings: new Map(),
    memberAccesses: [],
  };
  const tooDeepAt = walkWithinDepth(tree, (node) => visit(scan, node));
  judgeMemberAccesses(scan);
  if (tooDeepAt !== undefined) {
    addFinding(scan, tooDeepAt, 'too-deep', 'Program nested too deeply to check');
  }
  return verdictFrom(scan.findings);
}

/** Returns false to skip the children of nodes that are fully handled here. */
function visit(scan: Scan, node: SyntaxNodeRef): boolean {
  switch (node.name) {
    case 'ImportStatement':
      checkImport(scan, node.node);
      return false;
    case 'VariableName':
      checkName(scan, node);
      break;
    case 'PropertyName':
      checkAttribute(scan, node);
      break;
    case 'MemberExpression':
      recordMemberAccess(scan, node.node);
      break;
    case 'String':
      checkStringText(scan, node.from, node.to);
      break;
    case 'FormatString':
      checkFormatStringText(scan, node.node);
      break;
  }
  return true;
}

function checkImport(scan: Scan, statement: SyntaxNode): void {
  const parts = childrenOf(statement);
  if (parts[0]?.name === 'from') checkFromImport(scan, parts.slice(1));
  else checkPlainImport(scan, parts.slice(1));
}

/** `import a.b as c, d`: each dotted path is checked, and the name it binds is remembered. */
function checkPlainImport(scan: Scan, parts: SyntaxNode[]): void {
  for (const clause of splitOnCommas(parts)) {
    const { path, alias } = splitAlias(clause);
    const [first] = path;
    if (first === undefined) continue;
    const module = path.map((name) => textOf(scan, name)).join('.');
    if (isBlockedModule(module)) {
      addFinding(scan, first.from, 'import-blocked-module', `Import of blocked module '${module}'`);
    }
    if (alias === undefined) scan.moduleBindings.set(textOf(scan, first), textOf(scan, first));
    else scan.moduleBindings.set(textOf(scan, alias), module);
  }
}

/**
 * `from a.b import c as d, e`. A relative import is refused: the program is one file, so it names a package
 * only when the program sets `__package__` itself (`__package__ = 'os'; from . import system`).
 */
function checkFromImport(scan: Scan, parts: SyntaxNode[]): void {
  const importAt = parts.findIndex((part) => part.name === 'import');
  const modulePath = importAt === -1 ? parts : parts.slice(0, importAt);
  const [first] = modulePath;
  if (first !== undefined && first.name !== 'VariableName') {
    addFinding(scan, first.from, 'relative-import', 'Relative import');
    return;
  }
  if (first === undefined) return;
  const module = modulePath
    .filter((part) => part.name === 'VariableName')
    .map((name) => textOf(scan, name))
    .join('.');
  const moduleBlocked = isBlockedModule(module);
  if (moduleBlocked) {
    addFinding(scan, first.from, 'import-blocked-module', `Import of blocked module '${module}'`);
  }
  if (importAt === -1) return;
  for (const clause of splitOnCommas(parts.slice(importAt + 1))) {
    const { path, alias } = splitAlias(clause);
    const [imported] = path;
    if (imported === undefined) continue;
    const name = textOf(scan, imported);
    if (!moduleBlocked && isBlockedImportedName(module, name)) {
      addFinding(
        scan,
        imported.from,
        'import-blocked-name',
        `Import of blocked name '${name}' from '${module}'`,
      );
    }
    scan.moduleBindings.set(textOf(scan, alias ?? imported), `${module}.${name}`);
  }
}

function isBlockedImportedName(module: string, name: string): boolean {
  return (
    Object.hasOwn(PYTHON_ESCAPE_ATTRIBUTES, name) ||
    REEXPORTED_MODULE_ATTRIBUTES.has(name) ||
    blockedMembersOf(module).includes(name)
  );
}

/** Splits import clauses on commas, dropping the parentheses of `from x import (a, b)`. */
function splitOnCommas(parts: SyntaxNode[]): SyntaxNode[][] {
  const clauses: SyntaxNode[][] = [[]];
  for (const part of parts) {
    if (part.name === ',') clauses.push([]);
    else if (part.name === 'VariableName' || part.name === 'as') clauses.at(-1)?.push(part);
  }
  return clauses;
}

/** `a . b as c` → path [a, b] and alias c. */
function splitAlias(clause: SyntaxNode[]): { path: SyntaxNode[]; alias: SyntaxNode | undefined } {
  const asAt = clause.findIndex((part) => part.name === 'as');
  if (asAt === -1) return { path: clause, alias: undefined };
  return { path: clause.slice(0, asAt), alias: clause[asAt + 1] };
}

function checkName(scan: Scan, ref: SyntaxNodeRef): void {
  const name = identifier(scan.source.slice(ref.from, ref.to));
  if (ESCAPE_GLOBALS.has(name)) {
    addFinding(scan, ref.from, 'escape-hatch', `Access to '${name}'`);
  } else if (Object.hasOwn(BLOCKED_PYTHON_BUILTINS, name)) {
    checkBuiltinUse(scan, ref.node, name);
  }
}

function checkBuiltinUse(scan: Scan, node: SyntaxNode, name: string): void {
  const parent = node.parent;
  if (parent?.name === 'CallExpression' && parent.firstChild?.from === node.from) {
    addFinding(scan, node.from, 'call-blocked-builtin', `Call of blocked builtin '${name}'`);
  } else if (!BUILTINS_FLAGGED_ONLY_WHEN_CALLED.has(name) && !isBindingOrAttribute(node)) {
    addFinding(scan, node.from, 'reference-blocked-builtin', `Reference to blocked builtin '${name}'`);
  }
}

/** True where a VariableName names something being defined (or, in a decorator, an attribute) rather than reading it. */
function isBindingOrAttribute(node: SyntaxNode): boolean {
  const next = node.nextSibling?.name;
  if (next === 'AssignOp' || next === 'TypeDef') return true;
  const previous = node.prevSibling?.name;
  switch (node.parent?.name) {
    case 'ParamList':
      return previous !== 'AssignOp';
    case 'Decorator':
      return previous === '.';
    case 'FunctionDefinition':
    case 'ClassDefinition':
    case 'ScopeStatement':
      return true;
    default:
      return false;
  }
}

function checkAttribute(scan: Scan, ref: SyntaxNodeRef): void {
  const name = identifier(scan.source.slice(ref.from, ref.to));
  if (Object.hasOwn(PYTHON_ESCAPE_ATTRIBUTES, name)) {
    addFinding(scan, ref.from, 'escape-hatch', `Access to '${name}'`);
  } else if (REEXPORTED_MODULE_ATTRIBUTES.has(name)) {
    addFinding(scan, ref.from, 'reexported-module', `Access to blocked module through attribute '${name}'`);
  }
}

function recordMemberAccess(scan: Scan, member: SyntaxNode): void {
  const object = member.firstChild;
  const attribute = object?.nextSibling?.nextSibling;
  if (object?.name !== 'VariableName' || attribute?.name !== 'PropertyName') return;
  scan.memberAccesses.push({
    object: textOf(scan, object),
    attribute: textOf(scan, attribute),
    at: object.from,
  });
}

/** Attribute reads on imported names: any use of a blocked module, and the few dangerous members of allowed ones. */
function judgeMemberAccesses(scan: Scan): void {
  for (const { object, attribute, at } of scan.memberAccesses) {
    const module = scan.moduleBindings.get(object);
    if (module === undefined) continue;
    if (isBlockedModule(module)) {
      addFinding(scan, at, 'use-blocked-module', `Use of blocked module '${module}'`);
    } else if (attribute === '__dict__') {
      addFinding(scan, at, 'module-dict', `Access to '__dict__' of module '${module}'`);
    } else if (blockedMembersOf(module).includes(attribute)) {
      addFinding(scan, at, 'use-blocked-name', `Use of blocked name '${attribute}' from '${module}'`);
    }
  }
}

/** Plain strings are scanned whole; f-strings only between their replacement fields, which are walked as code. */
function checkFormatStringText(scan: Scan, formatString: SyntaxNode): void {
  let literalFrom = formatString.from;
  for (const field of childrenOf(formatString)) {
    checkStringText(scan, literalFrom, field.from);
    literalFrom = field.to;
  }
  checkStringText(scan, literalFrom, formatString.to);
}

function checkStringText(scan: Scan, from: number, to: number): void {
  for (const match of scan.source.slice(from, to).matchAll(ESCAPE_DUNDER_IN_STRING)) {
    addFinding(scan, from + match.index, 'escape-hatch', `Access to '${match[0]}'`);
  }
}

function isBlockedModule(dotted: string): boolean {
  return Object.hasOwn(BLOCKED_PYTHON_MODULES, dotted.split('.')[0] ?? '');
}

function blockedMembersOf(module: string): readonly string[] {
  return Object.hasOwn(BLOCKED_PYTHON_MODULE_MEMBERS, module)
    ? (BLOCKED_PYTHON_MODULE_MEMBERS[module] ?? [])
    : [];
}

function textOf(scan: Scan, node: SyntaxNode): string {
  return identifier(scan.source.slice(node.from, node.to));
}

function addFinding(scan: Scan, offset: number, rule: string, message: string): void {
  scan.findings.push(findingAt(scan.prepared, offset, rule, message));
}
