// The strict JavaScript profile, the default: every route to eval, the Function constructor and the module
// loader refused, in CommonJS and ES modules alike; data work, files and axios allowed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkJavaScriptStrict } from '../../../src/policy/javascript/index.ts';

function findings(source: string): string[] {
  return checkJavaScriptStrict(source).findings.map((f) => `${f.line}:${f.column} ${f.message}`);
}

function allowed(source: string): boolean {
  return checkJavaScriptStrict(source).allowed;
}

function refusedBy(source: string, rule: string): void {
  const rules = checkJavaScriptStrict(source).findings.map((f) => f.rule);
  assert.ok(
    rules.includes(rule),
    `expected ${rule} for ${JSON.stringify(source)}, got ${JSON.stringify(rules)}`,
  );
}

// Modules

test('refuses a module that is not on the allow-list, in every form that loads one', () => {
  for (const program of [
    "require('child_process')",
    "import cp from 'node:child_process';",
    "await import('child_process');",
    "export * from 'vm';",
    "process.getBuiltinModule('child_process')",
    "module.require('child_process')",
    "require.main.require('child_process')",
  ]) {
    refusedBy(program, 'import-not-allowed');
  }
});

test('allows files, paths, crypto and axios', () => {
  assert.ok(
    allowed(
      "const fs = require('fs');\nconst path = require('node:path');\nimport('node:crypto');\nconst axios = require('axios');\nfs.writeFileSync(path.join('artifacts', 'x.json'), '{}');",
    ),
  );
});

test('refuses relative paths and data: URLs, which would run text the program wrote', () => {
  refusedBy("require('./helper.js')", 'import-not-allowed');
  refusedBy("import('data:text/javascript,export default 1')", 'import-not-allowed');
});

test('refuses a path out of an allowed package', () => {
  refusedBy("require('axios/../../work/helper.js')", 'import-not-allowed');
});

test('reads a script as Node runs it, inside the CommonJS wrapper, where top-level return is allowed', () => {
  refusedBy("if (done) return;\nrequire('child_process');", 'import-not-allowed');
});

test('refuses a module named at run time', () => {
  assert.equal(findings('require(name);'), ['1:1 Module loaded from a name computed at run time']);
});

test('folds a module name built from constants before judging it', () => {
  refusedBy("process['getBuiltin' + 'Module']('child_' + 'process')", 'import-not-allowed');
});

// The module loader

test("refuses the CommonJS wrapper's arguments, require among them, outside a function", () => {
  assert.equal(findings("arguments[1]('child_process')"), [
    "1:1 'arguments' outside a function: the CommonJS wrapper's, require among them",
  ]);
  refusedBy('const f = () => arguments[1];', 'wrapper-arguments');
  assert.ok(allowed('function f() { return Array.prototype.slice.call(arguments); }'));
});

test('refuses require and getBuiltinModule handed on as values', () => {
  refusedBy('const r = require;', 'handed-on-loader');
  refusedBy('const { getBuiltinModule: load } = process;', 'handed-on-loader');
  refusedBy('const load = module.require;', 'handed-on-loader');
});

test("refuses the module object's way to the loader", () => {
  refusedBy("module.constructor._load('fs')", 'function-constructor');
  refusedBy("module.__proto__.constructor._load('fs')", 'denied-property');
  refusedBy('module.parent', 'module-member');
  assert.ok(allowed('module.exports = { main };\nif (require.main === module) main();'));
});

test('refuses the bindings, native loading and internals of process, however process is reached', () => {
  refusedBy("process.binding('spawn_sync')", 'process-member');
  refusedBy("globalThis.process.binding('spawn_sync')", 'process-member');
  refusedBy("const p = process;\np.binding('fs');", 'process-member');
  refusedBy("[process][0].binding('fs')", 'process-as-value');
  refusedBy('process._debugProcess(process.ppid)', 'denied-property');
  refusedBy('process.dlopen(m, f)', 'denied-property');
});

test('allows the ordinary members of process', () => {
  assert.ok(
    allowed('const { env, argv } = process;\nprocess.stdout.write(process.cwd());\nprocess.exit(0);'),
  );
});

test('refuses require.cache and require.extensions', () => {
  refusedBy('require.cache', 'require-member');
  refusedBy("require.extensions['.txt'] = f", 'require-member');
});

// eval and the Function constructor

for (const [shape, program] of [
  ['called', "eval('1')"],
  ['destructured from globalThis', 'const { eval: run } = globalThis;'],
  ['read through globalThis twice', "globalThis.globalThis.eval('1')"],
  ['read from sloppy this', "function f() { return this.eval('1'); }"],
  ['named by Reflect.get', "Reflect.get(globalThis, 'eval')"],
  ['named by a decoded key', 'o[String.fromCharCode(101, 118, 97, 108)]'],
] as const) {
  test(`refuses eval ${shape}`, () => {
    assert.not.ok(allowed(program));
  });
}

for (const [shape, program] of [
  ['new Function', "new Function('return process')"],
  ['.constructor.constructor', "[].constructor.constructor('return process')()"],
  ['new Array.constructor', "new Array.constructor('return process')"],
  ['.constructor.call', "(() => {}).constructor.call(null, 'return process')"],
  ['Reflect.construct', "Reflect.construct(Function, ['return process'])"],
  ['a tagged template', 'Function`return process`()'],
  ['a property descriptor', "Object.getOwnPropertyDescriptor(Function.prototype, 'constructor')"],
  ['the descriptors of a prototype', 'Object.getOwnPropertyDescriptors(Object.getPrototypeOf(f))'],
  ['destructuring', 'const { constructor: make } = () => {};'],
  ['a constant key held in a variable', "const key = 'constructor';"],
  ['a key decoded at run time', "f[atob('Y29uc3RydWN0b3I=')]"],
  ['a with statement', "with (() => {}) { constructor('return process')(); }"],
  ['a subclass', 'class Evaluator extends Function {}'],
] as const) {
  test(`refuses the Function constructor through ${shape}`, () => {
    assert.not.ok(allowed(program));
  });
}

test('allows the ordinary uses of constructor: naming and comparing types, cloning without arguments', () => {
  const program = [
    'class AppError extends Error {',
    '  constructor(message) {',
    '    super(message);',
    '    this.name = this.constructor.name;',
    '    Error.captureStackTrace(this, this.constructor);',
    '  }',
    '  clone() { return new this.constructor(); }',
    '}',
    "const same = x.constructor === Object || key === 'constructor';",
  ].join('\n');
  assert.equal(findings(program), []);
});

test('allows Function.prototype and instanceof Function', () => {
  assert.ok(allowed('const s = Function.prototype.toString.call(f);\nconst ok = f instanceof Function;'));
});

// Frames and sloppy mode

test('refuses fn.caller and the stack-trace API, which hand out the CommonJS wrapper', () => {
  refusedBy('function f() { return f.caller; }', 'denied-property');
  refusedBy('Error.prepareStackTrace = (e, frames) => frames;', 'denied-property');
  refusedBy('frames[0].getFunction()', 'denied-property');
});

test('refuses this of a plain function handed on, which called bare is the global object', () => {
  refusedBy('function g() { return this; }', 'sloppy-this');
  assert.ok(allowed('function Person(name) { var self = this; self.name = name; this.age = 1; }'));
  assert.ok(allowed('class A { me() { return this; } }'));
});

test('refuses a computed property of the global object, process, module or a sloppy this', () => {
  refusedBy('globalThis[name]', 'computed-global-member');
  refusedBy('process[name]', 'computed-global-member');
  assert.ok(allowed('counts[word] = (counts[word] ?? 0) + 1;'));
});

test('refuses WebAssembly, which compiles native code at run time', () => {
  refusedBy('WebAssembly.compile(bytes)', 'denied-global');
});

test('refuses paths into node_modules and native addons', () => {
  refusedBy("fs.writeFileSync('node_modules/axios/index.js', s)", 'code-path');
  refusedBy("const addon = 'build/x.node';", 'code-path');
});

test('refuses a code string passed to a timer', () => {
  refusedBy("setTimeout('run()', 10)", 'string-timer');
});

test('parses a sloppy script that is not a valid module', () => {
  refusedBy("var x = 010;\nrequire('child_process');", 'import-not-allowed');
});

test('refuses a program nested deeper than the parser can follow', () => {
  refusedBy(`const a = ${'['.repeat(1000)}${']'.repeat(1000)};`, 'too-deep');
});

test.run();
