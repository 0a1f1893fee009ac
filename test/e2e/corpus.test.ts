// The red-team corpus (test/corpus) end to end: every program through POST /run of `make up`'s release
// (localhost:9385, the chart's defaults: the strict policy, a 10 s run timeout), through the real runners in
// gVisor sandboxes. An attack runs its payload and returns its effect only when nothing stops it, so an
// attack counts as run when its answer is `success`; anything else is a refusal, by the static policy (-999)
// or by the runner's guards (the program fails). Ordinary programs must all succeed. Then the pathological
// inputs of test/corpus/pathological.json, each beside an ordinary run that must still succeed.
//
// `node test/run.ts e2e corpus` sends a fixed representative subset (below); CODERUN_CORPUS=full (`make
// corpus`) sends every program.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Language } from '../../src/coderun/schema.ts';
import type { KubeClients } from '../../src/kube/client.ts';
import {
  buildPathological,
  type CorpusProgram,
  isProcessOrNative,
  loadCorpus,
  loadPathological,
  median,
  percent,
} from '../corpus-programs.ts';
import { setUpSuite } from '../suite-setup.ts';
import { localRelease, postLocalRun, type RagflowReply } from './support.ts';

/** Requests in flight at once: few enough for the warm pools (4 + 2 Python, 3 Node.js) to serve them. */
const CONCURRENCY = 3;
/** A pathological input and the ordinary run beside it are each answered within this. */
const PATHOLOGICAL_ANSWER_MS = 30_000;
const FULL = process.env.CODERUN_CORPUS === 'full';

let token: string;
let kube: KubeClients;

setUpSuite(test, 'Corpus e2e', async () => {
  ({ token, kube } = await localRelease());
});

const corpus = loadCorpus();

/**
 * Every program, or for the e2e tier every attack (those the policy refuses cost no sandbox) and every third
 * ordinary program of each language in name order (37 of 109), which keeps each kind of data work in the
 * subset: each ordinary program takes a sandbox, about 3.5 s apiece with 3 in flight on a 2-core machine.
 */
function chosen(): CorpusProgram[] {
  if (FULL) return corpus;
  const seen = new Map<Language, number>();
  return corpus.filter((p) => {
    if (p.attack) return true;
    const index = seen.get(p.language) ?? 0;
    seen.set(p.language, index + 1);
    return index % 3 === 0;
  });
}

type Refusal = 'policy' | 'guards' | 'failed' | 'ran';

interface Answer {
  program: CorpusProgram;
  reply: RagflowReply;
  /** policy: -999; guards: unauthorized_access; failed: any other failure; ran: success. */
  outcome: Refusal;
}

function outcomeOf(reply: RagflowReply): Refusal {
  const body = reply.body;
  if (body.status === 'success') return 'ran';
  if (body.exit_code === -999) return 'policy';
  if (body.status === 'unauthorized_access') return 'guards';
  return 'failed';
}

/** Sends every program with at most `limit` requests in flight; answers in the programs' order. */
async function sendAll(programs: readonly CorpusProgram[], limit: number): Promise<Answer[]> {
  const answers: Answer[] = new Array(programs.length);
  let next = 0;
  const worker = async () => {
    while (next < programs.length) {
      const i = next++;
      const program = programs[i]!;
      const reply = await postLocalRun(token, { code: program.source, language: program.language });
      answers[i] = { program, reply, outcome: outcomeOf(reply) };
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return answers;
}

function describe(answer: Answer): string {
  const b = answer.reply.body;
  const stderr = (b.stderr ?? '').trim().split('\n').slice(-3).join(' | ').slice(0, 400);
  return `${answer.program.name}: HTTP ${answer.reply.status} ${b.status} exit ${b.exit_code} detail ${b.detail} (${answer.reply.ms} ms) stderr: ${stderr}; stdout: ${(b.stdout ?? '').slice(0, 200)}; result: ${JSON.stringify(b.result?.value ?? null).slice(0, 200)}`;
}

let answers: Answer[] = [];
let sentMs = 0;

test('sends the corpus through POST /run, at most 3 requests in flight', async () => {
  const started = Date.now();
  answers = await sendAll(chosen(), CONCURRENCY);
  sentMs = Date.now() - started;
  for (const answer of answers) assert.is(answer.reply.status, 200, describe(answer));
});

test('prints, per language, the attacks refused by the policy, by the runtime and run, and the answer times', () => {
  const attacks = answers.filter((a) => a.program.attack);
  const benign = answers.filter((a) => !a.program.attack);
  const lines = [
    '',
    `Corpus end to end: POST /run on localhost:9385, ${FULL ? 'every program' : 'the e2e subset'}, ${CONCURRENCY} in flight, ${(sentMs / 1000).toFixed(0)} s`,
    `${attacks.length} attacks (${attacks.filter((a) => isProcessOrNative(a.program)).length} process/native), ${benign.length} ordinary programs`,
    'language  attacks refused   policy guards failed ran  process/native refused  ordinary broken  median ms  worst ms',
  ];
  for (const language of ['python', 'nodejs'] as Language[]) {
    const mine = answers.filter((a) => a.program.language === language);
    const theirs = mine.filter((a) => a.program.attack);
    const count = (outcome: Refusal) => theirs.filter((a) => a.outcome === outcome).length;
    const refused = theirs.length - count('ran');
    const processNative = theirs.filter((a) => isProcessOrNative(a.program));
    const processNativeRefused = processNative.filter((a) => a.outcome !== 'ran').length;
    const ordinary = mine.filter((a) => !a.program.attack);
    const broken = ordinary.filter((a) => a.outcome !== 'ran').length;
    const times = mine.map((a) => a.reply.ms);
    lines.push(
      `${language.padEnd(10)}${`${refused}/${theirs.length} ${percent(refused, theirs.length)}`.padEnd(18)}${String(count('policy')).padStart(6)}${String(count('guards')).padStart(7)}${String(count('failed')).padStart(7)}${String(count('ran')).padStart(4)}  ${`${processNativeRefused}/${processNative.length} ${percent(processNativeRefused, processNative.length)}`.padEnd(24)}${`${broken}/${ordinary.length}`.padEnd(17)}${String(median(times)).padStart(9)}${String(Math.max(0, ...times)).padStart(10)}`,
    );
  }
  const sandboxed = answers.filter((a) => a.outcome !== 'policy').map((a) => a.reply.ms);
  lines.push(
    `answers from a sandbox (not refused by the policy): median ${median(sandboxed)} ms, worst ${Math.max(0, ...sandboxed)} ms`,
  );
  for (const a of attacks.filter((a) => a.outcome === 'guards' || a.outcome === 'failed'))
    lines.push(`  refused at run time: ${describe(a)}`);
  for (const a of attacks.filter((a) => a.outcome === 'ran')) lines.push(`  ran: ${describe(a)}`);
  console.log(lines.join('\n'));
});

test('every ordinary program succeeds end to end', () => {
  const broken = answers.filter((a) => !a.program.attack && a.outcome !== 'ran');
  assert.equal(broken.map(describe), []);
});

test('at least 95% of the attacks that start processes or load native code are refused end to end', () => {
  const processNative = answers.filter((a) => a.program.attack && isProcessOrNative(a.program));
  const refused = processNative.filter((a) => a.outcome !== 'ran');
  assert.ok(processNative.length > 0);
  assert.ok(
    refused.length / processNative.length >= 0.95,
    `${refused.length} of ${processNative.length}; ran: ${processNative
      .filter((a) => a.outcome === 'ran')
      .map((a) => a.program.name)
      .join(', ')}`,
  );
});

async function apiRestarts(): Promise<number> {
  const pods = await kube.core.listNamespacedPod({
    namespace: 'coderun',
    labelSelector: 'app.kubernetes.io/component=api',
  });
  return pods.items.reduce(
    (n, pod) => n + (pod.status?.containerStatuses ?? []).reduce((m, c) => m + c.restartCount, 0),
    0,
  );
}

const ORDINARY = 'import json\n\ndef main():\n    return json.loads(\'{"a": 1}\')\n';

test('each pathological input gets its answer while an ordinary run sent beside it succeeds, and the API never restarts', async () => {
  const restartsBefore = await apiRestarts();
  const lines = ['', 'Pathological inputs through POST /run, each beside an ordinary run:'];
  const failures: string[] = [];
  for (const input of loadPathological()) {
    const [costly, beside] = await Promise.all([
      postLocalRun(token, { code: buildPathological(input), language: input.language }),
      postLocalRun(token, { code: ORDINARY, language: 'python' }),
    ]);
    const answer = `${costly.body.status} ${costly.body.exit_code} ${(costly.body.stderr ?? '').split('\n')[0]?.slice(0, 60)}`;
    lines.push(
      `${input.name.padEnd(62)} ${String(costly.ms).padStart(6)} ms  ${answer}; beside it ${beside.body.status} in ${beside.ms} ms`,
    );
    if (costly.status !== 200 || costly.ms >= PATHOLOGICAL_ANSWER_MS)
      failures.push(`${input.name}: HTTP ${costly.status} after ${costly.ms} ms: ${answer}`);
    if (
      beside.body.status !== 'success' ||
      JSON.stringify(beside.body.result?.value) !== '{"a":1}' ||
      beside.ms >= PATHOLOGICAL_ANSWER_MS
    )
      failures.push(`${input.name}: the run beside it after ${beside.ms} ms: ${JSON.stringify(beside.body)}`);
  }
  console.log(lines.join('\n'));
  assert.equal(failures, []);
  assert.is(await apiRestarts(), restartsBefore, 'the API container restarted');
});

test.run();
