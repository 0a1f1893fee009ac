// Benchmark (not a test): BURST (default 500) simultaneous POST /run requests against `make up`'s endpoint,
// each a different program whose right answer is known (it returns its own number). Every request must end
// with the right answer or a clean refusal (HTTP 429, exit_code -429, Retry-After); nothing lost (no
// connection error, no timeout), no 5xx, no wrong answer. Prints the tally and writes it into
// docs/performance.md. Asserts nothing. Run: make bench (after make up), or node bench/burst.ts.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { localApiToken } from './local-cluster.ts';
import { stats } from './programs.ts';

const REPO = join(import.meta.dirname, '..');
const BURST = Number(process.env.BENCH_BURST ?? 500);
const URL_RUN = `http://127.0.0.1:${process.env.CODERUN_API_PORT ?? 9385}/run`;
const TOKEN = localApiToken();
// Bounded in time: a request still unanswered after this counts as lost.
const REQUEST_TIMEOUT_MS = 120_000;

type Outcome =
  | 'right answer'
  | 'clean 429'
  | 'wrong answer'
  | '429 without -429/Retry-After'
  | '5xx'
  | 'other 4xx'
  | 'lost';

async function one(i: number): Promise<{ outcome: Outcome; ms: number; detail?: string }> {
  const code = `def main():\n    return {"n": ${i}}\n`;
  const started = performance.now();
  try {
    const res = await fetch(URL_RUN, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ language: 'python', code_b64: Buffer.from(code).toString('base64') }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    const ms = performance.now() - started;
    const body = JSON.parse(text) as { status?: string; exit_code?: number; result?: { value?: unknown } };
    if (res.status >= 500) return { outcome: '5xx', ms, detail: text.slice(0, 200) };
    if (res.status === 429)
      return body.exit_code === -429 && res.headers.get('retry-after')
        ? { outcome: 'clean 429', ms }
        : { outcome: '429 without -429/Retry-After', ms, detail: text.slice(0, 200) };
    if (res.status !== 200)
      return { outcome: 'other 4xx', ms, detail: `${res.status} ${text.slice(0, 200)}` };
    const right =
      body.status === 'success' && JSON.stringify(body.result?.value) === JSON.stringify({ n: i });
    return right
      ? { outcome: 'right answer', ms }
      : { outcome: 'wrong answer', ms, detail: text.slice(0, 200) };
  } catch (err) {
    return { outcome: 'lost', ms: performance.now() - started, detail: String(err) };
  }
}

console.log(`POST /run on ${URL_RUN}: ${BURST} requests at once`);
const started = performance.now();
const results = await Promise.all(Array.from({ length: BURST }, (_, i) => one(i)));
const wallMs = performance.now() - started;

const ORDER: Outcome[] = [
  'right answer',
  'clean 429',
  'wrong answer',
  '429 without -429/Retry-After',
  '5xx',
  'other 4xx',
  'lost',
];
const rows = ORDER.map((outcome) => {
  const of = results.filter((r) => r.outcome === outcome);
  const s = of.length ? stats(of.map((r) => r.ms)) : undefined;
  return `| ${outcome} | ${of.length} | ${s ? s.p50.toFixed(0) : '-'} | ${of.length ? Math.max(...of.map((r) => r.ms)).toFixed(0) : '-'} |`;
});
const table = ['| outcome | requests | p50 ms | max ms |', '|---|---|---|---|', ...rows].join('\n');
console.log(table);
console.log(`all ${BURST} settled in ${(wallMs / 1000).toFixed(1)} s`);
for (const r of results.filter((x) => x.detail).slice(0, 5)) console.log(`  ${r.outcome}: ${r.detail}`);

const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
const machine = `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`;
const section = [
  '<!-- burst:start -->',
  `Measured by \`node bench/burst.ts\` (part of \`make bench\`) at commit ${commit} on ${machine}, ${new Date().toISOString().slice(0, 10)}: ${BURST} simultaneous \`POST /run\` requests, each a program returning its own number; all settled in ${(wallMs / 1000).toFixed(1)} s.`,
  '',
  table,
  '<!-- burst:end -->',
].join('\n');
const doc = join(REPO, 'docs', 'performance.md');
const text = readFileSync(doc, 'utf8');
writeFileSync(
  doc,
  text.includes('<!-- burst:start -->')
    ? text.replace(/<!-- burst:start -->[\s\S]*<!-- burst:end -->/, section)
    : `${text.trimEnd()}\n\n## A burst of ${BURST} requests\n\n${section}\n`,
);
