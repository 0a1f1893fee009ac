// The typescript policy: the JavaScript rules on the program Node runs, which is the TypeScript text with its
// types stripped. Types never run (a type named Function is no constructor); casts, `!` and `<T>x` are the
// expression inside them; every escape the JavaScript policy refuses is refused in TypeScript too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkJavaScript, checkTypeScript, createPolicy } from '../../../src/policy/index.ts';
import { loadCorpus } from '../../corpus-programs.ts';

function rules(source: string, profile: 'strict' | 'compat' = 'strict'): string[] {
  return checkTypeScript(source, profile).findings.map((f) => f.rule);
}

function refusedBy(source: string, rule: string, profile: 'strict' | 'compat' = 'strict'): void {
  const found = rules(source, profile);
  assert.ok(
    found.includes(rule),
    `expected ${rule} for ${JSON.stringify(source)}, got ${JSON.stringify(found)}`,
  );
}

test('a program with types, interfaces, generics, casts and type-only imports passes the strict profile', () => {
  for (const program of [
    'interface In { n: number; tags?: string[] }\nexport function main({ n }: In): { square: number } {\n  return { square: n * n };\n}\n',
    'type Pair<T> = [T, T];\nconst swap = <T,>([a, b]: Pair<T>): Pair<T> => [b, a];\nexport default swap;\n',
    'export async function main(): Promise<number[]> {\n  await new Promise<void>((r) => setTimeout(r, 1));\n  return [1, 2].map((x: number) => x * 2);\n}\n',
    "import axios, { type AxiosResponse } from 'axios';\nexport async function main(): Promise<number> {\n  const r: AxiosResponse = await axios.get('https://example.com');\n  return r.status;\n}\n",
    "import { readFileSync } from 'node:fs';\nconst text = readFileSync('data.csv', 'utf8') as string;\nconst rows = text.split('\\n')!.length satisfies number;\n",
    'abstract class Shape { abstract area(): number; declare name: string }\nclass Square extends Shape implements Sized { constructor(readonly side = 1) { super(); } area(): number { return this.side ** 2; } }\n',
    'declare const injected: unknown;\ndeclare function helper(x: string): void;\nlet value!: number;\nfunction isText(x: unknown): x is string { return typeof x === "string"; }\n',
  ]) {
    const verdict = checkTypeScript(program);
    assert.equal(verdict, { allowed: true, findings: [] }, program);
  }
});

test('a type is never a use: types named Function, process or eval pass', () => {
  for (const program of [
    'let f: Function | undefined;',
    'let p: typeof process | undefined;',
    'type Loader = typeof require;',
    'function call<F extends Function>(f: F): F { return f; }',
    "type CP = typeof import('child_process');",
    'interface Evil { eval: typeof eval; constructor: FunctionConstructor }',
  ]) {
    assert.equal(rules(program), [], program);
  }
});

test('the escapes the JavaScript policy refuses are refused through casts, non-null assertions and type arguments', () => {
  refusedBy("const cp = (require as any)('child_process');", 'import-not-allowed');
  refusedBy("const cp = require!('child_process');", 'import-not-allowed');
  refusedBy("(process as any).binding('spawn_sync');", 'process-member');
  refusedBy("process!.binding('spawn_sync');", 'process-member');
  refusedBy("const p = <any>process;\np.binding('spawn_sync');", 'process-member');
  refusedBy("(process satisfies NodeJS.Process).dlopen(module, 'x.node');", 'denied-property');
  refusedBy("(Function as unknown as FunctionConstructor)('return process')();", 'function-constructor');
  refusedBy("(((() => {}) as any).constructor as Function)('return this')();", 'function-constructor');
  refusedBy("const run = eval<string>;\nrun('1');", 'denied-global');
  refusedBy("const x: string = eval('1 + 1');", 'denied-global');
  refusedBy(
    "export async function main(): Promise<void> {\n  await import('node:' + 'child_process');\n}",
    'import-not-allowed',
  );
  refusedBy(
    "import { execSync } from 'child_process';\nexport const main = (): string => execSync('id').toString();",
    'import-not-allowed',
  );
  refusedBy("class Runner { constructor(private cp = require('child_process')) {} }", 'import-not-allowed');
});

test("TypeScript's own module forms are refused like the require and import they are", () => {
  refusedBy("import cp = require('child_process');\ncp.execSync('id');", 'import-not-allowed');
  refusedBy("export import vm = require('node:vm');", 'import-not-allowed');
  refusedBy("import type { ChildProcess } from 'child_process';", 'import-not-allowed');
  refusedBy("export type { Context } from 'vm';", 'import-not-allowed');
  refusedBy("import p = require('process');\np.binding('spawn_sync');", 'process-member');
});

test('the compat profile reads TypeScript too: its block list through casts', () => {
  refusedBy("const cp = (require as any)('child_process');", 'import-blocked-module', 'compat');
  refusedBy("import cp = require('child_process');", 'import-blocked-module', 'compat');
  refusedBy("(process as any).binding('spawn_sync');", 'process-member', 'compat');
  assert.equal(rules('const n: number = 1;\nexport function main(): number { return n; }', 'compat'), []);
});

test('a program the policy cannot parse as TypeScript is refused, not let through as JavaScript is', () => {
  assert.equal(rules('export function main( {'), ['unparsable']);
  assert.equal(rules('export function main( {', 'compat'), ['unparsable']);
  assert.equal(checkJavaScript('export function main( {').allowed, true);
});

test('every JavaScript program of the corpus gets the same verdict read as TypeScript, in both profiles', () => {
  const programs = loadCorpus().filter((p) => p.language === 'nodejs');
  assert.ok(programs.length >= 40, `${programs.length} programs`);
  for (const profile of ['strict', 'compat'] as const) {
    for (const program of programs) {
      const js = checkJavaScript(program.source, profile);
      const ts = checkTypeScript(program.source, profile);
      assert.is(ts.allowed, js.allowed, `${profile}: ${program.name}`);
      if (program.attack && profile === 'strict') assert.is(ts.allowed, false, program.name);
    }
  }
});

test("the policy named typescript checks TypeScript, with the javascript policy's extra modules", () => {
  const policy = createPolicy('strict', { extraModules: { javascript: ['lodash'] } });
  const program = "import _ from 'lodash';\nexport const main = (xs: number[]): number => _.sum(xs);\n";
  assert.equal(policy('typescript', program), { allowed: true, findings: [] });
  assert.is(policy('typescript', "import _ from 'left-pad';\nconst n: number = 1;").allowed, false);
  // The same program as JavaScript does not parse (its annotation), which Node would refuse to run.
  assert.is(policy('javascript', program).allowed, true);
  assert.equal(
    policy('typescript', "(process as any).binding('spawn_sync');").findings.map((f) => f.rule),
    ['process-member'],
  );
});

test.run();
