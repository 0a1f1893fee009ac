// The fault campaign against `make up`'s release: for each fault, runs go in flight through POST /run, the
// fault strikes (kill -9) and is restarted; then new requests until one gets the right answer (the time to
// recover), every caller's answer, every CodeRun's end and the sandbox Pods left over are recorded.
// `make chaos` (test/chaos/main.ts) runs rounds of every fault; the e2e tier one of each.
import { setTimeout as delay } from 'node:timers/promises';
import { LOCAL_CLUSTER } from '../../hack/local-cluster.ts';
import { CodeRunClient } from '../../src/coderun/client.ts';
import type { KubeClients } from '../../src/kube/client.ts';
import { LOCAL_SANDBOX_NAMESPACE, postLocalRun } from '../e2e/support.ts';
import { describeDeletes, podDeletes, readAuditLog } from './audit.ts';
import { type Fault, killAndWait } from './faults.ts';
import { orphansNow, RunTracker } from './observe.ts';
import { type Answer, classifyAnswer, type InjectionResult, lostRuns, type Reply } from './verdict.ts';

export interface CampaignOptions {
  token: string;
  kube: KubeClients;
  /** Injected one after the other, in this order. */
  faults: readonly Fault[];
  /** Requests sent before each fault strikes. */
  inFlight: number;
  /** Progress, one line per step. */
  log: (line: string) => void;
}

/** How long an in-flight run's program sleeps: long enough for the fault to strike while it runs. */
const RUN_SECONDS = 3;
/** A caller still without an answer after this has none (a lost answer). */
const ANSWER_BOUND_MS = 150_000;
/** After the kill, how long new requests are tried before the fault counts as not recovered from. */
const RECOVERY_BOUND_MS = 180_000;
/** After recovery, how long runs may take to end and their Pods to go. */
const SETTLE_BOUND_MS = 120_000;

const PROGRAMS = {
  python:
    'import time\n\ndef main(a, b, seconds):\n    time.sleep(seconds)\n    return {"a": a, "product": a * b}\n',
  nodejs:
    'async function main({ a, b, seconds }) {\n  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));\n  return { a, product: a * b };\n}\n',
} as const;

/** `rounds` rounds of every fault, in turn. */
export function schedule(faults: readonly Fault[], rounds: number): Fault[] {
  return Array.from({ length: rounds }, () => faults).flat();
}

export async function runCampaign(opts: CampaignOptions): Promise<InjectionResult[]> {
  const runs = new CodeRunClient(opts.kube);
  const tracker = new RunTracker(runs, LOCAL_SANDBOX_NAMESPACE);
  tracker.start();
  let counter = 0;
  /** One POST /run whose right answer only this request can have: `a` is its own number. */
  const ask = async (seconds: number): Promise<Answer> => {
    const i = counter++;
    const language = i % 4 === 3 ? 'nodejs' : 'python';
    const args = { a: 100_000 + i, b: 2 + Math.floor(Math.random() * 9_998), seconds };
    const reply: Reply = await Promise.race([
      postLocalRun(opts.token, { code: PROGRAMS[language], language, arguments: args }).then(
        (r): Reply => ({ kind: 'reply', status: r.status, body: r.body }),
        (error: unknown): Reply => ({ kind: 'failed', error }),
      ),
      delay(ANSWER_BOUND_MS, undefined, { ref: false }).then((): Reply => ({ kind: 'timeout' })),
    ]);
    return classifyAnswer(reply, { a: args.a, product: args.a * args.b });
  };
  const results: InjectionResult[] = [];
  try {
    for (const [n, fault] of opts.faults.entries()) {
      const result = await injectOnce(fault, { ...opts, runs, tracker, ask });
      results.push(result);
      opts.log(
        `[${n + 1}/${opts.faults.length}] ${fault.name}: ${result.inFlight.length} in flight (${result.inFlight.map((a) => a.kind).join(', ') || '-'}), ${result.runs.length} runs, ${result.orphans.length} orphans, recovered ${result.recoverMs === null ? 'never' : `in ${(result.recoverMs / 1000).toFixed(1)} s`}`,
      );
      for (const line of deletedPods(result)) opts.log(`  PodDeleted: ${line}`);
    }
  } finally {
    await tracker.stop();
  }
  return results;
}

/** Who deleted the sandbox Pods of the injection's runs that ended PodDeleted (kube-apiserver's audit log). */
function deletedPods(result: InjectionResult): string[] {
  const pods = new Set(
    result.runs.flatMap((r) =>
      r.status?.reason === 'PodDeleted' && r.status.podName ? [r.status.podName] : [],
    ),
  );
  if (pods.size === 0) return [];
  const deletes = podDeletes(readAuditLog(LOCAL_CLUSTER.auditLog), LOCAL_SANDBOX_NAMESPACE);
  const lines = describeDeletes(deletes, pods);
  return lines.length ? lines : [`no delete of ${[...pods].join(', ')} in ${LOCAL_CLUSTER.auditLog}`];
}

interface Context extends CampaignOptions {
  runs: CodeRunClient;
  tracker: RunTracker;
  ask: (seconds: number) => Promise<Answer>;
}

/** Polls `probe` every half second until it returns true or `ms` pass; returns whether it did. */
async function until(probe: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return true;
    await delay(500);
  }
  return false;
}

async function injectOnce(fault: Fault, ctx: Context): Promise<InjectionResult> {
  const pid = await fault.target();
  const started = Date.now();
  const calls = Array.from({ length: ctx.inFlight }, () => {
    const call: { answer?: Answer; promise: Promise<Answer> } = { promise: ctx.ask(RUN_SECONDS) };
    call.promise = call.promise.then((answer) => {
      call.answer = answer;
      return answer;
    });
    return call;
  });
  // The fault strikes once a run is executing in its sandbox.
  await until(async () => ctx.tracker.since(started).some((r) => r.status?.phase === 'Running'), 30_000);
  const inFlight = calls.filter((c) => !c.answer);
  const answeredBefore = calls.flatMap((c) => c.answer ?? []);
  const killedAt = Date.now();
  await killAndWait(pid, fault.name);
  await fault.restart();

  const probes: Answer[] = [];
  let recoverMs: number | null = null;
  while (recoverMs === null && Date.now() - killedAt < RECOVERY_BOUND_MS) {
    const answer = await ctx.ask(0);
    probes.push(answer);
    if (answer.kind === 'right') recoverMs = Date.now() - killedAt;
    else await delay(1000);
  }
  const inFlightAnswers = await Promise.all(inFlight.map((c) => c.promise));

  // Every run of the injection ends, seen by a list made after it did; then their Pods go.
  const settledBy = Date.now() + SETTLE_BOUND_MS;
  await until(async () => {
    const now = Date.now();
    return (await ctx.tracker.listedAfter(now, 10_000)) && lostRuns(ctx.tracker.since(started)).length === 0;
  }, SETTLE_BOUND_MS);
  // Until a list succeeds, the namespace's Pods are unaccounted for.
  let orphans = ['the sandbox Pods could not be listed'];
  await until(
    async () => {
      orphans = await orphansNow(ctx.kube, ctx.runs, LOCAL_SANDBOX_NAMESPACE);
      return orphans.length === 0;
    },
    Math.max(30_000, settledBy - Date.now()),
  );
  return {
    fault: fault.name,
    allowed: fault.allowed,
    inFlight: inFlightAnswers,
    others: [...answeredBefore, ...probes],
    runs: ctx.tracker.since(started),
    orphans,
    recoverMs,
  };
}
