// Benchmark (not a test): the static policy's cost per program size, in the caller's thread and through
// the worker pool the API uses, and what the worst known inputs cost. Prints figures; asserts nothing.
// Run: make bench (or node bench/policy.ts; BENCH_POLICY_SIZES=1,16 for the sizes issue 15 is about).

import { loadavg } from 'node:os';
import type { Language } from '../src/coderun/schema.ts';
import { createLogger } from '../src/log.ts';
import { createPolicy } from '../src/policy/index.ts';
import { PolicyPool } from '../src/policy/pool.ts';
import { warmUpChecks } from '../src/policy/warm-up.ts';
import { junk, loadCorpus } from '../test/corpus-programs.ts';
import { program, stats } from './programs.ts';

const RUNS = Number(process.env.BENCH_POLICY_RUNS ?? 30);
const SIZES_KIB = (process.env.BENCH_POLICY_SIZES ?? '1,16,100,256').split(',').map(Number);
// Fresh pools the "after a worker starts" section times; each round costs a pool's start and a replacement.
const START_ROUNDS = Number(process.env.BENCH_POLICY_START_ROUNDS ?? 3);
const AFTER_START = 20;
const config = { profile: 'strict' as const, workers: 2, budgetMs: 2000, heapMb: 128 };
const inThread = createPolicy('strict');
// The caller's thread is warmed as a worker is (src/policy/warm-up.ts), so both columns time warm checks.
const warmUp = warmUpChecks();
for (const [language, source] of [...warmUp.cold, ...warmUp.idle]) inThread(language, source);
const started = performance.now();
const pool = new PolicyPool({ ...config, log: createLogger('silent', 'bench') });
// A pool's start (loading and warming the parsers) is not a check's time; it is reported on its own.
await pool.warmedUp();
const warmMs = performance.now() - started;

const ms = (n: number) => n.toFixed(1).padStart(8);

async function time(fn: () => unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const load = () => loadavg()[0]?.toFixed(1) ?? '?';

console.log(
  `Policy check time (ms), ${RUNS} runs each, load average ${load()}; pool: ${config.workers} workers, ${config.budgetMs} ms budget, ${config.heapMb} MiB heap, warm after ${warmMs.toFixed(0)} ms`,
);
console.log('language  size      in-thread p50      p95      max    pool p50      p95      max');
for (const language of ['python', 'nodejs'] as const) {
  for (const kib of SIZES_KIB) {
    const source = program(kib * 1024, language);
    const direct: number[] = [];
    const pooled: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      direct.push(await time(() => inThread(language, source)));
      pooled.push(await time(() => pool.check(language, source)));
    }
    const d = stats(direct);
    const p = stats(pooled);
    console.log(
      `${language.padEnd(8)}  ${`${kib} KiB`.padEnd(8)}  ${ms(d.p50)} ${ms(d.p95)} ${ms(d.max)}   ${ms(p.p50)} ${ms(p.p95)} ${ms(p.max)}`,
    );
  }
}

const corpusDirect: number[] = [];
const corpusPooled: number[] = [];
for (const { language, source } of loadCorpus()) {
  corpusDirect.push(await time(() => inThread(language, source)));
  corpusPooled.push(await time(() => pool.check(language, source)));
}
const cd = stats(corpusDirect);
const cp = stats(corpusPooled);
console.log(
  `${'corpus'.padEnd(8)}  ${`${corpusDirect.length} pr.`.padEnd(8)}  ${ms(cd.p50)} ${ms(cd.p95)} ${ms(cd.max)}   ${ms(cp.p50)} ${ms(cp.p95)} ${ms(cp.max)}`,
);

// A worker's first checks: right after a fresh pool answers its first check (its workers have loaded their
// parsers but may still be warming up), once warmedUp() has resolved, and right after a worker was replaced
// (a program past its budget). Each time, 16 KiB programs of both languages, alternating, one at a time.
const sixteen = { python: program(16 * 1024, 'python'), nodejs: program(16 * 1024, 'nodejs') } as const;
async function firstChecks(p: PolicyPool): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < AFTER_START; i++) {
    const language = i % 2 === 0 ? 'python' : 'nodejs';
    times.push(await time(() => p.check(language, sixteen[language])));
  }
  return times;
}
const afterStart = { ready: [] as number[], warm: [] as number[], replaced: [] as number[] };
for (let round = 0; round < START_ROUNDS; round++) {
  const fresh = new PolicyPool({ ...config, log: createLogger('silent', 'bench') });
  await fresh.check('python', 'x = 1\n');
  afterStart.ready.push(...(await firstChecks(fresh)));
  await fresh.close();
  const warmed = new PolicyPool({ ...config, log: createLogger('silent', 'bench') });
  await warmed.warmedUp();
  afterStart.warm.push(...(await firstChecks(warmed)));
  await warmed.check('nodejs', 'a:'.repeat(1024));
  afterStart.replaced.push(...(await firstChecks(warmed)));
  await warmed.close();
}
console.log(
  `\nThe first ${AFTER_START} checks of 16 KiB (Python and JavaScript alternating) after a worker starts, ${START_ROUNDS} pools; load average ${load()}`,
);
console.log('after                                   p50      p95      max');
for (const [name, times] of [
  ['the first check is answered', afterStart.ready],
  ['warmedUp() resolved', afterStart.warm],
  ['a worker was replaced', afterStart.replaced],
] as const) {
  const s = stats(times);
  console.log(`${name.padEnd(34)}  ${ms(s.p50)} ${ms(s.p95)} ${ms(s.max)}`);
}

const worst: [string, Language, string][] = [
  ['js  "a:" x 512 (1 KiB)', 'nodejs', 'a:'.repeat(512)],
  ['js  "a:" x 1024 (2 KiB)', 'nodejs', 'a:'.repeat(1024)],
  ['js  "a:" x 1024 + syntax error', 'nodejs', `${'a:'.repeat(1024)}\nx = ;`],
  ['js  256 KiB of junk', 'nodejs', junk(256 * 1024)],
  ['js  256 KiB array literal', 'nodejs', `[${'[],'.repeat(87_000)}]`],
  ['py  64 KiB of "elif:"', 'python', 'elif:\n'.repeat((64 * 1024) / 6)],
  ['py  256 KiB of junk', 'python', junk(256 * 1024)],
  ['py  256 KiB list literal', 'python', `[${'[],'.repeat(87_000)}]`],
];
console.log(
  `\nWorst known inputs through the pool, with a 1 KiB check sent beside each; load average ${load()}`,
);
console.log(
  'input                               answer ms   verdict                                   1 KiB beside ms',
);
for (const [name, language, source] of worst) {
  const started = performance.now();
  const costly = pool.check(language, source).then((v) => ({ v, ms: performance.now() - started }));
  const beside = await time(() => pool.check('python', program(1024, 'python')));
  const { v, ms: took } = await costly;
  const verdict = v.allowed ? 'allowed' : (v.findings[0]?.message ?? '').slice(0, 40);
  console.log(`${name.padEnd(34)}  ${ms(took)}   ${verdict.padEnd(40)}  ${ms(beside)}`);
}

// Both workers held at once by costly checks: the 1 KiB check beside them is served by the pool's spare.
const held = ['a:'.repeat(1024), `[${'[],'.repeat(87_000)}]`];
const heldAt = performance.now();
const costlyPair = Promise.all(held.map((source) => pool.check('nodejs', source)));
const besideHeld = await time(() => pool.check('python', program(1024, 'python')));
await costlyPair;
console.log(
  `${'both workers held (rows 2 and 5)'.padEnd(34)}  ${ms(performance.now() - heldAt)}   ${''.padEnd(40)}  ${ms(besideHeld)}`,
);
await pool.close();
