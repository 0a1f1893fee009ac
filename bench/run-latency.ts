// Benchmark (not a test): what a RAGFlow user waits for. POST /run on `make up`'s endpoint (localhost:9385),
// cold (pools scaled to 0) and warm, sequential and in parallel, plus the floor (the bare interpreters).
// Prints a table and writes it into docs/performance.md. Asserts nothing. Run: make bench (after make up).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { STAGES } from '../src/controller/run-timeline.ts';
import { localApiToken, localKubectl } from './local-cluster.ts';
import { stats } from './programs.ts';

const REPO = join(import.meta.dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
// BENCH_WARM_ONLY=1: only the warm hello-world rows and their breakdown, printed, docs/performance.md untouched.
const WARM_ONLY = process.env.BENCH_WARM_ONLY === '1';
// BENCH_THROUGHPUT_ONLY=1: only the 4-client rows (warm, cold) with their CPU cost, printed, docs untouched.
const THROUGHPUT_ONLY = process.env.BENCH_THROUGHPUT_ONLY === '1';
const PRINT_ONLY = WARM_ONLY || THROUGHPUT_ONLY;
const URL_RUN = `http://127.0.0.1:${process.env.CODERUN_API_PORT ?? 9385}/run`;
const SANDBOX_NS = process.env.BENCH_SANDBOX_NAMESPACE ?? 'coderun-sandbox';
const OPERATOR_NS = process.env.BENCH_OPERATOR_NAMESPACE ?? 'coderun';
const kubectl = localKubectl();
const TOKEN = localApiToken();

const PROGRAMS = {
  'python hello': { language: 'python', code: 'def main():\n    return {"hello": "world"}\n' },
  'nodejs hello': { language: 'nodejs', code: 'function main() { return { hello: "world" }; }' },
  'python pandas+matplotlib': {
    language: 'python',
    code: `import pandas as pd
import matplotlib.pyplot as plt

def main():
    df = pd.DataFrame({"x": range(10), "y": [i * i for i in range(10)]})
    df.plot(x="x", y="y")
    plt.savefig("chart.png")
    return {"rows": len(df), "sum": int(df.y.sum())}
`,
    artifacts: 1,
  },
  // What the issue's pandas target names: a program that imports pandas, served by a pool that preloads it.
  'python pandas import': {
    language: 'python',
    code: 'import pandas as pd\n\ndef main():\n    return {"pandas": pd.__version__, "rows": len(pd.DataFrame({"x": [1, 2]}))}\n',
  },
  // The same 10 MiB written twice: once where nothing collects it, once as an artifact; the difference is
  // the transfer (sandbox → store → /run answer as base64).
  'python 10 MiB to /tmp': {
    language: 'python',
    code: 'import os\n\ndef main():\n    with open("/tmp/blob.csv", "wb") as f:\n        f.write(os.urandom(10 * 1024 * 1024))\n',
  },
  'python 10 MiB artifact': {
    language: 'python',
    code: 'import os\n\ndef main():\n    with open("artifacts/blob.csv", "wb") as f:\n        f.write(os.urandom(10 * 1024 * 1024))\n',
    artifacts: 1,
  },
} as const satisfies Record<string, { language: string; code: string; artifacts?: number }>;
type ProgramName = keyof typeof PROGRAMS;

interface Sample {
  ms: number;
  programMs: number;
  ok: boolean;
}

async function post(name: ProgramName): Promise<Sample> {
  const program = PROGRAMS[name];
  const body = JSON.stringify({
    language: program.language,
    code_b64: Buffer.from(program.code).toString('base64'),
  });
  for (;;) {
    const started = performance.now();
    const res = await fetch(URL_RUN, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body,
    });
    const answer = (await res.json()) as { status?: string; time_used_ms?: number; artifacts?: unknown[] };
    if (res.status === 429) {
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    return {
      ms: performance.now() - started,
      programMs: answer.time_used_ms ?? 0,
      ok:
        answer.status === 'success' &&
        answer.artifacts?.length === ('artifacts' in program ? program.artifacts : 0),
    };
  }
}

type StageTotals = Map<string, { sum: number; count: number }>;

/**
 * A stage histogram (`metric`'s sum and count by stage, series matching `only`) summed over the Pods of the
 * operator's `component` (only the replica that did the work counts), read through the API server's Pod proxy.
 */
function stageTotals(component: 'controller' | 'api', metric: string, only = ''): StageTotals {
  const totals: StageTotals = new Map();
  const pods = kubectl(
    '-n',
    OPERATOR_NS,
    'get',
    'pods',
    '-o',
    'jsonpath={range .items[*]}{.metadata.name}={.spec.containers[0].ports[0].containerPort}{"\\n"}{end}',
  );
  const series = new RegExp(`^${metric}_(sum|count)\\{([^}]*)\\} (\\S+)$`, 'gm');
  for (const line of pods.trim().split('\n')) {
    const [name, port] = line.split('=');
    if (!name?.includes(`-${component}-`) || !port) continue;
    const text = kubectl(
      'get',
      '--raw',
      `/api/v1/namespaces/${OPERATOR_NS}/pods/${name}:${port}/proxy/metrics`,
    );
    for (const m of text.matchAll(series)) {
      const labels = m[2] ?? '';
      const stage = /stage="([^"]+)"/.exec(labels)?.[1];
      if (!stage || !labels.includes(only)) continue;
      const t = totals.get(stage) ?? { sum: 0, count: 0 };
      t[m[1] as 'sum' | 'count'] += Number(m[3]);
      totals.set(stage, t);
    }
  }
  return totals;
}

/** Both sides' stages of warm runs: the API's and the controller's. */
const warmStages = () => ({
  api: stageTotals('api', 'coderun_api_run_stage_seconds'),
  controller: stageTotals('controller', 'coderun_controller_run_stage_seconds', 'sandbox="warm"'),
});

/** The controller's stages that are parts of another (the program hop's, from the runner's timings). */
const PART_OF = new Map<string, string>(STAGES.flatMap((s) => (s.within ? [[s.stage, s.within]] : [])));

/**
 * "decide 3 ms, sandbox 20 ms, program 90 ms (transport-in 5 ms, ...), ...": each stage's mean between two
 * readings, its parts in brackets after it, and the total of the whole stages in ms.
 */
function stageMeans(before: StageTotals, after: StageTotals): { text: string; totalMs: number } {
  const means = new Map<string, number>();
  for (const [stage, a] of after) {
    const b = before.get(stage) ?? { sum: 0, count: 0 };
    const count = a.count - b.count;
    if (count > 0) means.set(stage, ((a.sum - b.sum) / count) * 1000);
  }
  const parts: string[] = [];
  let totalMs = 0;
  for (const [stage, ms] of means) {
    if (PART_OF.has(stage)) continue;
    totalMs += ms;
    const detail = STAGES.filter((s) => s.within === stage && means.has(s.stage))
      .map((s) => `${s.stage} ${(means.get(s.stage) ?? 0).toFixed(0)} ms`)
      .join(', ');
    parts.push(`${stage} ${ms.toFixed(0)} ms${detail ? ` (${detail})` : ''}`);
  }
  return { text: parts.join(', '), totalMs };
}

/** Each SandboxPool's `field` (a jsonpath below the pool, e.g. `.spec.replicas`), by pool name; 0 where unset. */
function poolNumbers(field: string): Record<string, number> {
  const out = kubectl(
    '-n',
    SANDBOX_NS,
    'get',
    'sandboxpools',
    '-o',
    `jsonpath={range .items[*]}{.metadata.name}={${field}}{"\\n"}{end}`,
  );
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name, n] = line.split('=');
        return [name as string, Number(n)];
      }),
  );
}

function scale(replicas: Record<string, number>): void {
  for (const [name, n] of Object.entries(replicas)) {
    kubectl('-n', SANDBOX_NS, 'scale', 'sandboxpool', name, `--replicas=${n}`);
  }
}

async function poolsReady(replicas: Record<string, number>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const ready = poolNumbers('.status.readyReplicas');
    if (Object.entries(replicas).every(([name, n]) => (ready[name] ?? 0) >= n)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('pools did not become ready');
}

const f = (n: number) => n.toFixed(0).padStart(6);
const rows: string[] = [];
const breakdown: string[] = [];
function row(label: string, samples: Sample[]): void {
  const s = stats(samples.map((x) => x.ms));
  const sorted = samples.map((x) => x.ms).sort((a, b) => a - b);
  const p90 = sorted[Math.min(sorted.length - 1, Math.floor(0.9 * sorted.length))] as number;
  const p99 = sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))] as number;
  const program = stats(samples.map((x) => x.programMs)).p50;
  const failed = samples.filter((x) => !x.ok).length;
  const line = `| ${label.padEnd(36)} | ${samples.length} | ${f(s.p50)} | ${f(p90)} | ${f(p99)} | ${f(program)} | ${failed} |`;
  rows.push(line);
  console.log(line);
}

async function sequential(
  name: ProgramName,
  n: number,
  waitWarm: Record<string, number> | undefined,
  pauseMs = 0,
) {
  const samples: Sample[] = [];
  for (let i = 0; i < n; i++) {
    if (waitWarm) await poolsReady(waitWarm);
    if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
    samples.push(await post(name));
  }
  return samples;
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** The machine's busy CPU seconds so far: /proc/stat's first line, every state but idle and iowait. */
function busySeconds(): number {
  const ticks = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  return (total - (ticks[3] ?? 0) - (ticks[4] ?? 0)) / CLOCK_TICKS;
}

/**
 * `clients` callers in a loop for `seconds`: runs per second, and what each run cost the machine in CPU
 * (busy CPU during the window less the busy rate of the `IDLE_SECONDS` before it, when nothing was sent:
 * the cluster's own work and anything else on the machine), so what the cores allow at most.
 */
const IDLE_SECONDS = 10;
async function parallel(
  name: ProgramName,
  clients: number,
  seconds: number,
): Promise<{ samples: Sample[]; perSecond: number; cost: string }> {
  const idleFrom = busySeconds();
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const idleRate = (busySeconds() - idleFrom) / IDLE_SECONDS;
  const samples: Sample[] = [];
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  const busyFrom = busySeconds();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) samples.push(await post(name));
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const perRun = (busySeconds() - busyFrom - idleRate * elapsed) / Math.max(1, samples.length);
  const cores = cpus().length;
  const cost = `${perRun.toFixed(2)} CPU-s per run above ${idleRate.toFixed(2)} idle, at most ${((cores - idleRate) / perRun).toFixed(2)} runs/s on ${cores} cores`;
  return { samples, perSecond: samples.length / elapsed, cost };
}

// A version manager's shim (pyenv) would add its own start-up to every figure; resolve python3 once.
const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {
  encoding: 'utf8',
}).trim();

function floor(): string[] {
  const time = (cmd: string, args: string[]) => {
    const t: number[] = [];
    for (let i = 0; i < 10; i++) {
      const s = performance.now();
      execFileSync(cmd, args);
      t.push(performance.now() - s);
    }
    return stats(t).p50;
  };
  return [
    `bare \`python3 -c pass\` on the host: p50 ${time(PYTHON, ['-c', 'pass']).toFixed(0)} ms`,
    `bare \`node -e 0\` on the host: p50 ${time(process.execPath, ['-e', '0']).toFixed(0)} ms`,
  ];
}

// The rows this run measures, in order: all of them, or what BENCH_WARM_ONLY or BENCH_THROUGHPUT_ONLY keep.
const SEQUENTIAL = [
  'python hello',
  'nodejs hello',
  'python pandas import',
  'python pandas+matplotlib',
] as const;
const HELLO = ['python hello', 'nodejs hello'] as const;
// An agent's steps come seconds apart (the model thinks between them): by then the previous run's refill
// has started its sandbox and interpreter, which back-to-back runs share the 2 cores with.
const AGENT_PAUSE_MS = 2000;
const ROWS: {
  warm: readonly ProgramName[];
  /** Warm again, AGENT_PAUSE_MS after the pools are full. */
  spaced: readonly ProgramName[];
  transfers: readonly ProgramName[];
  burst: boolean;
  clients: readonly number[];
  /** Pools scaled to 0, then the cold rows: `coldSequential` and one of 4 clients. */
  cold: boolean;
  coldSequential: readonly ProgramName[];
} = {
  warm: THROUGHPUT_ONLY ? [] : SEQUENTIAL.filter((name) => !WARM_ONLY || name.includes('hello')),
  spaced: THROUGHPUT_ONLY ? [] : HELLO,
  transfers: PRINT_ONLY ? [] : ['python 10 MiB to /tmp', 'python 10 MiB artifact'],
  burst: !PRINT_ONLY,
  clients: WARM_ONLY ? [] : THROUGHPUT_ONLY ? [4] : [4, 16],
  cold: !WARM_ONLY,
  coldSequential: PRINT_ONLY ? [] : SEQUENTIAL,
};

const original = poolNumbers('.spec.replicas');
const header = '| what | runs | p50 ms | p90 ms | p99 ms | program p50 ms | failed |';
console.log(`POST /run on ${URL_RUN}; pools ${JSON.stringify(original)}`);
console.log(header);
try {
  const warmSizes = Object.fromEntries(Object.entries(original).map(([k, v]) => [k, Math.max(v, 3)]));
  scale(warmSizes);
  await poolsReady(warmSizes);
  for (const name of ROWS.warm) {
    await post(name); // warm-up
    const n = name.includes('pandas') ? Math.min(RUNS, 10) : RUNS;
    const before = warmStages();
    const samples = await sequential(name, n, warmSizes);
    row(`${name}, warm (sequential)`, samples);
    if (!name.includes('hello')) continue;
    // Where a warm hello world's time goes: the API's stages (its wait holds the controller's part, plus
    // the informer's and the watch's lag), the controller's stages, and the HTTP exchange around them.
    const after = warmStages();
    const api = stageMeans(before.api, after.api);
    const controller = stageMeans(before.controller, after.controller);
    const mean = samples.reduce((s, x) => s + x.ms, 0) / samples.length;
    const line = `${name}, warm, mean ${mean.toFixed(0)} ms: API ${api.text} (HTTP and the rest ${(mean - api.totalMs).toFixed(0)} ms); controller ${controller.text}`;
    breakdown.push(line);
    console.log(line);
  }
  for (const name of ROWS.spaced) {
    const samples = await sequential(name, RUNS, warmSizes, AGENT_PAUSE_MS);
    row(`${name}, warm, ${AGENT_PAUSE_MS / 1000} s apart`, samples);
  }
  for (const name of ROWS.transfers) {
    row(`${name}, warm (sequential)`, await sequential(name, Math.min(RUNS, 10), warmSizes));
  }
  if (ROWS.burst) {
    const burstSize = 2 * (warmSizes.python ?? 2);
    const burst = await Promise.all(Array.from({ length: burstSize }, () => post('python hello')));
    row(`python hello, burst of ${burstSize} (2x pool)`, burst);
  }
  for (const clients of ROWS.clients) {
    await poolsReady(warmSizes);
    const { samples, perSecond, cost } = await parallel('python hello', clients, 20);
    row(`python hello, ${clients} clients (${perSecond.toFixed(2)} runs/s)`, samples);
    breakdown.push(`python hello, ${clients} clients, warm first: ${cost}`);
    console.log(breakdown.at(-1));
  }
  if (ROWS.cold) {
    const cold = Object.fromEntries(Object.keys(original).map((k) => [k, 0]));
    scale(cold);
    await new Promise((r) => setTimeout(r, 3000));
    for (const name of ROWS.coldSequential) {
      row(`${name}, cold (sequential)`, await sequential(name, Math.min(RUNS, 10), undefined));
    }
    const { samples, perSecond, cost } = await parallel('python hello', 4, 20);
    row(`python hello, cold, 4 clients (${perSecond.toFixed(2)} runs/s)`, samples);
    breakdown.push(`python hello, 4 clients, cold: ${cost}`);
    console.log(breakdown.at(-1));
  }
} finally {
  scale(original);
}
if (PRINT_ONLY) process.exit(0);
const floorLines = floor();
for (const line of floorLines) console.log(line);

const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB`;
const section = [
  '<!-- run-latency:start -->',
  `Measured by \`make bench\` (bench/run-latency.ts) at commit ${commit} on ${machine}, ${new Date().toISOString().slice(0, 10)}.`,
  '',
  header,
  '|---|---|---|---|---|---|---|',
  ...rows,
  '',
  ...breakdown.map((l) => `- ${l}`),
  ...floorLines.map((l) => `- ${l}`),
  '<!-- run-latency:end -->',
].join('\n');
const doc = join(REPO, 'docs', 'performance.md');
let text: string;
try {
  text = readFileSync(doc, 'utf8');
} catch {
  text = '# Performance\n\n## POST /run latency\n\n<!-- run-latency:start -->\n<!-- run-latency:end -->\n';
}
text = text.replace(/<!-- run-latency:start -->[\s\S]*<!-- run-latency:end -->/, section);
writeFileSync(doc, text);
console.log(`wrote the table into ${doc}`);
