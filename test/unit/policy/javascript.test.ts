import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPolicy, formatFindings } from '../../../src/policy/index.ts';
import {
  BLOCKED_NODE_MODULES,
  checkJavaScriptCompat as checkJavaScript,
} from '../../../src/policy/javascript/index.ts';

// The compat profile: upstream RAGFlow's block list plus the bypasses upstream missed (strict.test.ts has
// the default profile).

/** Each finding as `line:column message`, the form the assertions compare. */
function findings(source: string): string[] {
  return checkJavaScript(source).findings.map((f) => `${f.line}:${f.column} ${f.message}`);
}

const blockedModules = Object.keys(BLOCKED_NODE_MODULES);

const moduleForms: [string, (module: string) => string, number][] = [
  ['require(x)', (m) => `const x = require('${m}');`, 19],
  ['require(node:x)', (m) => `const x = require('node:${m}');`, 19],
  ['import x from', (m) => `import x from '${m}';`, 15],
  ['import * as x from', (m) => `import * as x from '${m}';`, 20],
  ['import { x } from', (m) => `import { x } from '${m}';`, 19],
  ['import()', (m) => `const x = await import('${m}');`, 24],
  ['export * from', (m) => `export * from '${m}';`, 15],
  ['export { x } from', (m) => `export { x } from '${m}';`, 19],
];

for (const [form, program, column] of moduleForms) {
  test(`rejects every blocked module loaded with ${form}`, () => {
    for (const module of blockedModules) {
      const written = form.includes('node:') ? `node:${module}` : module;
      assert.equal(
        findings(program(module)),
        [`1:${column} Import of blocked module '${written}'`],
        program(module),
      );
    }
  });
}

const blockedPrograms: [string, string, string[]][] = [
  [
    "require('child_process')",
    "require('child_process').execSync('id');",
    ["1:9 Import of blocked module 'child_process'"],
  ],
  [
    'require(`fs`), a template literal without expressions',
    'require(`fs`);',
    ["1:9 Import of blocked module 'fs'"],
  ],
  ["require('node:fs')", "require('node:fs');", ["1:9 Import of blocked module 'node:fs'"]],
  ["require('fs/promises')", "require('fs/promises');", ["1:9 Import of blocked module 'fs/promises'"]],
  [
    'a module name joined from constant strings',
    "require('child_' + 'process');",
    ["1:9 Import of blocked module 'child_process'"],
  ],
  ["import fs from 'fs'", "import fs from 'fs';", ["1:16 Import of blocked module 'fs'"]],
  ["import('child_process')", "import('child_process');", ["1:8 Import of blocked module 'child_process'"]],
  [
    "import { execSync } from 'node:child_process'",
    "import { execSync } from 'node:child_process';",
    ["1:26 Import of blocked module 'node:child_process'"],
  ],
  ["export * from 'fs'", "export * from 'fs';", ["1:15 Import of blocked module 'fs'"]],
  ["require('vm')", "require('vm');", ["1:9 Import of blocked module 'vm'"]],
  [
    "require('worker_threads')",
    "require('worker_threads');",
    ["1:9 Import of blocked module 'worker_threads'"],
  ],
  ['require with a computed module name', 'require(name);', ['1:1 Module loaded from a computed name']],
  [
    'import() with a computed module name',
    "import(prefix + '_process');",
    ['1:1 Module loaded from a computed name'],
  ],
  ['require(...spread)', 'require(...args);', ['1:1 Module loaded from a computed name']],
  ["eval('1')", "eval('1');", ["1:1 Call of blocked global 'eval'"]],
  ['eval handed on as a value', 'const run = eval;', ["1:13 Reference to blocked global 'eval'"]],
  ['indirect eval through a sequence', "(0, eval)('1');", ["1:5 Reference to blocked global 'eval'"]],
  ["globalThis.eval('1')", "globalThis.eval('1');", ["1:1 Call of blocked global 'eval'"]],
  ["globalThis['eval']", "globalThis['eval']('1');", ["1:1 Call of blocked global 'eval'"]],
  ["new Function('return 1')", "new Function('return 1');", ["1:5 Call of blocked global 'Function'"]],
  ["Function('x')", "Function('x');", ["1:1 Call of blocked global 'Function'"]],
  ["globalThis.Function('x')", "globalThis.Function('x');", ["1:1 Call of blocked global 'Function'"]],
  ['Function handed on as a value', 'const F = Function;', ["1:11 Reference to blocked global 'Function'"]],
  [
    "Function.call(null, 'x')",
    "Function.call(null, 'x');",
    ["1:1 Indirect call of blocked global 'Function'"],
  ],
  [
    "the Function constructor called through '.constructor'",
    "[].constructor.constructor('return process')();",
    ['1:1 Use of the Function constructor'],
  ],
  [
    'the async Function constructor read from an arrow function',
    "const AsyncFunction = (async () => {}).constructor;\nnew AsyncFunction('code');",
    ['1:23 Use of the Function constructor'],
  ],
  [
    'the Function constructor read through getPrototypeOf',
    'const G = Object.getPrototypeOf(function* () {}).constructor;',
    ['1:11 Use of the Function constructor'],
  ],
  ['a computed property of globalThis', 'globalThis[name](code);', ["1:1 Computed property of 'globalThis'"]],
  [
    'a computed property of process',
    "process['bind' + suffix]('fs');",
    ["1:1 Computed property of 'process'"],
  ],
  ["process.binding('spawn_sync')", "process.binding('spawn_sync');", ["1:1 Access to 'process.binding'"]],
  ["process['binding']", "process['binding']('spawn_sync');", ["1:1 Access to 'process.binding'"]],
  ['globalThis.process.binding', "globalThis.process.binding('fs');", ["1:1 Access to 'process.binding'"]],
  ['process.dlopen', 'process.dlopen(m, f);', ["1:1 Access to 'process.dlopen'"]],
  ['process.kill', 'process.kill(1);', ["1:1 Access to 'process.kill'"]],
  [
    'process.mainModule.require',
    "process.mainModule.require('child_process');",
    ["1:1 Access to 'process.mainModule'", "1:28 Import of blocked module 'child_process'"],
  ],
  [
    "process.getBuiltinModule('fs')",
    "process.getBuiltinModule('fs');",
    ["1:26 Import of blocked module 'fs'"],
  ],
  [
    'binding read through an alias of process',
    "const p = require('node:process');\np.binding('fs');",
    ["2:1 Access to 'process.binding'"],
  ],
  ['binding destructured from process', 'const { binding } = process;', ["1:9 Access to 'process.binding'"]],
  [
    "binding imported from 'process'",
    "import { binding } from 'process';",
    ["1:10 Access to 'process.binding'"],
  ],
  ["require.main.require('fs')", "require.main.require('fs');", ["1:22 Import of blocked module 'fs'"]],
  ['module.constructor', "module.constructor._load('fs');", ["1:1 Access to 'module.constructor'"]],
  [
    'require handed on as a value',
    "const r = require;\nr('fs');",
    ["1:11 Reference to blocked global 'require'"],
  ],
  ["setTimeout('code', 1)", "setTimeout('code', 1);", ["1:12 Code string passed to 'setTimeout'"]],
  [
    'setInterval with a template string',
    'setInterval(`code`, 1);',
    ["1:13 Code string passed to 'setInterval'"],
  ],
];

for (const [description, program, expected] of blockedPrograms) {
  test(`rejects ${description}`, () => {
    assert.equal(findings(program), expected);
  });
}

const ordinaryPrograms: [string, string][] = [
  ["require('axios')", "const axios = require('axios');"],
  [
    'http and https, which axios is built on',
    "const http = require('http');\nimport https from 'node:https';",
  ],
  [
    'the RAGFlow CommonJS entry point',
    'async function main(args) {\n  return args.x;\n}\nmodule.exports = { main };',
  ],
  ['an ES module entry point', 'export async function main() {\n  return 1;\n}'],
  ['classes with private fields', 'class A {\n  #x = 1;\n  get x() { return this.#x; }\n}'],
  ['optional chaining and nullish coalescing', 'const v = a?.b?.[c]?.(d) ?? 0;'],
  ['JSON.parse and Math.max with spread', "const o = JSON.parse('{}');\nconst m = Math.max(...[1, 2]);"],
  [
    'a method named eval on an object',
    'const r = obj.eval();\nconst o = { eval() {} };\nclass A { eval() {} }',
  ],
  ['setTimeout with a function', 'setTimeout(() => {}, 10);'],
  ['the require.main === module idiom', 'if (require.main === module) main();'],
  [
    'typeof require and instanceof Function',
    "const cjs = typeof require !== 'undefined';\nconst f = x instanceof Function;",
  ],
  ['require.resolve', "const p = require.resolve('axios');"],
  ['Function.prototype reads', 'const s = Function.prototype.toString.call(f);'],
  ['new this.constructor(), a cloning idiom', 'class A {\n  clone() { return new this.constructor(); }\n}'],
  ['process.env and process.exit', 'const k = process.env.KEY;\nprocess.exit(0);'],
  ['kill on an object that is not process', 'child.kill();'],
  ['a local os module import', "import os from 'node:os';\nconsole.log(os.cpus().length);"],
  ['top-level await in a module', 'const r = await fetch(url);'],
  ['async iteration and generators', 'async function* g() { yield 1; }\nfor await (const x of g()) {}'],
];

for (const [description, program] of ordinaryPrograms) {
  test(`allows ${description}`, () => {
    assert.equal(findings(program), []);
  });
}

test('parses sloppy scripts that are not valid modules', () => {
  assert.equal(findings("with (obj) { x = 010; }\nrequire('fs');"), ["2:9 Import of blocked module 'fs'"]);
});

test('allows a program that does not parse at all, leaving the SyntaxError to Node', () => {
  assert.equal(checkJavaScript("require('fs');\nfunction ( {"), { allowed: true, findings: [] });
});

test('reports the blocked things it can see in a program with recoverable syntax errors', () => {
  assert.equal(findings("const a = 1;\nconst a = 2;\neval('x');"), ["3:1 Call of blocked global 'eval'"]);
});

test('allows an empty program', () => {
  assert.equal(checkJavaScript(''), { allowed: true, findings: [] });
});

test('reports each finding once, sorted by line then column', () => {
  assert.equal(findings("eval('1'); eval('2');\nrequire('fs');"), [
    "1:1 Call of blocked global 'eval'",
    "1:12 Call of blocked global 'eval'",
    "2:9 Import of blocked module 'fs'",
  ]);
});

test('counts columns from 1 after indentation and on later lines', () => {
  assert.equal(findings('function f() {\n  if (x) {\n    return eval(y);\n  }\n}'), [
    "3:12 Call of blocked global 'eval'",
  ]);
});

test('refuses a program nested deeper than the parser can follow, which Node would still run', () => {
  const nested = `const a = ${'['.repeat(1000)}${']'.repeat(1000)};`;
  assert.equal(findings(nested), ['1:1 Program nested too deeply to check']);
});

test('formats findings the way RAGFlow shows them', () => {
  const { findings: found } = checkJavaScript("const a = 1;\nconst cp = require('child_process');");
  assert.is(formatFindings(found), "Line 2: Import of blocked module 'child_process'");
});

test('the compat policy checks JavaScript programs', () => {
  const verdict = createPolicy('compat')('nodejs', "require('child_process');");
  assert.is(verdict.allowed, false);
});

test('the off policy allows any JavaScript program', () => {
  assert.equal(createPolicy('off')('nodejs', "require('child_process');"), { allowed: true, findings: [] });
});

test.run();
