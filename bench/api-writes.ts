// Benchmark (not a test): what one run costs the Kubernetes API server, warm and cold. Reads the API
// server's own request counters before and after N runs over `make up`'s endpoint and prints the writes
// (and watch events' worth of objects) per run, by resource and verb. Run: node bench/api-writes.ts
import { localApiToken, localKubectl } from './local-cluster.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const NS = process.env.BENCH_SANDBOX_NAMESPACE ?? 'coderun-sandbox';
const kubectl = localKubectl();
const TOKEN = localApiToken();
const WRITE_VERBS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY']);
const RESOURCES = new Set(['coderuns', 'pods', 'events', 'sandboxpools', 'leases']);

/** apiserver_request_total summed by resource/subresource and verb, write verbs only. */
function writes(): Map<string, number> {
  const totals = new Map<string, number>();
  for (const line of kubectl('get', '--raw', '/metrics').split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!WRITE_VERBS.has(labels.verb ?? '') || !RESOURCES.has(labels.resource ?? '')) continue;
    const key = `${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''} ${labels.verb}`;
    totals.set(key, (totals.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return totals;
}

async function run(): Promise<void> {
  const res = await fetch(`http://127.0.0.1:9385/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({
      language: 'python',
      code_b64: Buffer.from('def main():\n    return 1\n').toString('base64'),
    }),
  });
  const body = (await res.json()) as { status?: string };
  if (body.status !== 'success') throw new Error(`run failed: ${JSON.stringify(body)}`);
}

async function measure(label: string, between: () => Promise<void>): Promise<void> {
  // Let the previous phase's deletions and refills settle, so they are not counted here.
  await new Promise((r) => setTimeout(r, 5000));
  const before = writes();
  for (let i = 0; i < RUNS; i++) {
    await run();
    await between();
  }
  // The used Pods' deletions and the pool's refills happen just after each answer.
  await new Promise((r) => setTimeout(r, 8000));
  const after = writes();
  console.log(
    `\n${label}: API-server writes per run (${RUNS} runs; CodeRun deletion after its TTL not included)`,
  );
  let total = 0;
  for (const [key, value] of [...after].sort()) {
    const delta = (value - (before.get(key) ?? 0)) / RUNS;
    if (delta < 0.05) continue;
    total += delta;
    console.log(`  ${key.padEnd(28)} ${delta.toFixed(1)}`);
  }
  console.log(`  ${'total'.padEnd(28)} ${total.toFixed(1)}`);
}

const replicas = kubectl('-n', NS, 'get', 'sandboxpool', 'python', '-o', 'jsonpath={.spec.replicas}').trim();
try {
  kubectl('-n', NS, 'scale', 'sandboxpool', 'python', '--replicas=2');
  await measure('warm (pool python, 2 Pods)', async () => {
    await new Promise((r) => setTimeout(r, 3000)); // the pool refills between runs
  });
  kubectl('-n', NS, 'scale', 'sandboxpool', 'python', '--replicas=0');
  await measure('cold (pools at 0)', async () => {});
} finally {
  kubectl('-n', NS, 'scale', 'sandboxpool', 'python', `--replicas=${replicas || 2}`);
}
