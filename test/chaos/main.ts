// `make chaos`: the fault campaign against `make up`'s release (it runs make up first). CHAOS_ROUNDS
// rounds (default 4) of every fault in test/chaos/faults.ts, CHAOS_IN_FLIGHT requests (default 4) in flight
// at each kill; prints the table and every broken promise, and fails if there is one. CHAOS_FAULTS (a
// comma-separated list of fault names, e.g. "containerd,kubelet") injects only those. Needs root and the
// cluster to itself: run it under the cluster's lock (flock -o /tmp/coderun-cluster.lock make chaos).
import { localRelease } from '../e2e/support.ts';
import { runCampaign, schedule } from './campaign.ts';
import { FAULTS } from './faults.ts';
import { failures, formatTable, tableRows } from './verdict.ts';

function count(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a whole number >= 1, not ${process.env[name]}`);
  return value;
}

const rounds = count('CHAOS_ROUNDS', 4);
const named = process.env.CHAOS_FAULTS?.split(',')
  .map((name) => name.trim())
  .filter(Boolean);
const unknown = named?.filter((name) => !FAULTS.some((f) => f.name === name)) ?? [];
if (unknown.length)
  throw new Error(
    `CHAOS_FAULTS names no fault ${unknown.join(', ')}; the faults: ${FAULTS.map((f) => f.name).join(', ')}`,
  );
const faults = named ? FAULTS.filter((f) => named.includes(f.name)) : FAULTS;
const inFlight = count('CHAOS_IN_FLIGHT', 4);
const { token, kube } = await localRelease();
const started = Date.now();
const results = await runCampaign({
  token,
  kube,
  faults: schedule(faults, rounds),
  inFlight,
  log: (line) => console.log(line),
});
console.log(
  `\n${results.length} injections, ${inFlight} requests in flight at each, in ${((Date.now() - started) / 60_000).toFixed(1)} min:\n`,
);
console.log(formatTable(tableRows(results)));
console.log(
  '\nright / errors: answers to the requests in flight at the kill; wrong answers: of every request; terminal: CodeRuns of the injection that ended with a reason; orphans: sandbox Pods nothing live owns once it settled; time to recover: from the kill to the first new request answered right.',
);
const failed = results.flatMap(failures);
for (const f of failed) console.log(`FAILED ${f}`);
console.log(failed.length ? `\nchaos: ${failed.length} broken promises` : '\nchaos: every promise held');
process.exitCode = failed.length ? 1 : 0;
