// What the fault campaign's observations count as: each answer, each run, each sandbox Pod; the table per
// fault and the verdict. Pure.
import type { V1Pod } from '@kubernetes/client-node';
import type { RagflowResult } from '../../src/api/ragflow/response.ts';
import { type CodeRunStatus, isTerminal } from '../../src/coderun/schema.ts';

/** How one POST /run ended, as the caller saw it. */
export type Reply =
  | { kind: 'reply'; status: number; body: RagflowResult }
  /** fetch threw, or the answer was not JSON. */
  | { kind: 'failed'; error: unknown }
  /** Nothing within the campaign's bound. */
  | { kind: 'timeout' };

export type AnswerKind = 'right' | 'clean error' | 'connection error' | 'wrong' | 'no answer';

export interface Answer {
  kind: AnswerKind;
  detail: string;
}

/**
 * The right value, an error the caller can tell from an answer (a connection that failed, an API error or
 * a run that failed, each saying so), or neither: a success carrying another value, or a body that is not
 * the API's. fetch reports a refused, reset or cut connection as a TypeError.
 */
export function classifyAnswer(reply: Reply, expected: unknown): Answer {
  if (reply.kind === 'timeout') return { kind: 'no answer', detail: 'no answer within the bound' };
  if (reply.kind === 'failed') {
    const err = reply.error as {
      name?: string;
      message?: string;
      cause?: { code?: string; message?: string };
    };
    const detail = `${err?.message ?? String(reply.error)}${err?.cause ? ` (${err.cause.code ?? err.cause.message})` : ''}`;
    if (err?.name === 'TimeoutError') return { kind: 'no answer', detail };
    return reply.error instanceof TypeError
      ? { kind: 'connection error', detail }
      : { kind: 'wrong', detail };
  }
  const { status, body } = reply;
  if (body?.status === 'success') {
    const value = body.result?.value;
    return JSON.stringify(value) === JSON.stringify(expected)
      ? { kind: 'right', detail: '' }
      : {
          kind: 'wrong',
          detail: `HTTP ${status} success with ${JSON.stringify(value)}, not ${JSON.stringify(expected)}`,
        };
  }
  if (typeof body?.status === 'string')
    return {
      kind: 'clean error',
      detail: `HTTP ${status} ${body.status} (${body.detail}): ${body.stderr}`.slice(0, 300),
    };
  return { kind: 'wrong', detail: `HTTP ${status} without a status: ${JSON.stringify(body).slice(0, 200)}` };
}

/** The last state the campaign saw of one CodeRun. */
export interface RunSighting {
  name: string;
  status: CodeRunStatus | undefined;
  /** Deleted (its TTL) since. */
  gone: boolean;
}

/** Runs that did not reach a terminal phase with a reason: still going, or deleted before they did. */
export function lostRuns(runs: readonly RunSighting[]): string[] {
  return runs
    .filter((r) => !(isTerminal(r.status) && r.status?.reason))
    .map(
      (r) =>
        `${r.name} ${r.gone ? 'deleted while ' : ''}${r.status?.phase ?? 'without a phase'}/${r.status?.reason ?? '-'}`,
    );
}

/**
 * Sandbox Pods that serve nothing: their controller (a CodeRun, or a SandboxPool for an idle pool Pod) is
 * not among `liveOwners` (the uids of the runs still going and of the pools), or they have none. A Pod on
 * its way out still counts until it is gone.
 */
export function orphanPods(pods: readonly V1Pod[], liveOwners: ReadonlySet<string>): string[] {
  return pods
    .filter((pod) => {
      const owner = pod.metadata?.ownerReferences?.find((o) => o.controller);
      return !owner || !liveOwners.has(owner.uid);
    })
    .map((pod) => {
      const owner = pod.metadata?.ownerReferences?.find((o) => o.controller);
      const deleting = pod.metadata?.deletionTimestamp ? ', terminating' : '';
      return `${pod.metadata?.name} (${pod.status?.phase}${deleting}, owner ${owner ? `${owner.kind}/${owner.name}` : 'none'})`;
    });
}

/** One fault injected once, and what followed. */
export interface InjectionResult {
  fault: string;
  /** What a caller in flight may get: the right answer, and what the fault makes unavoidable (faults.ts). */
  allowed: readonly AnswerKind[];
  /** Answers to the requests still unanswered when the fault struck. */
  inFlight: Answer[];
  /**
   * Answers to every other request of the injection: those answered before the fault struck, and those
   * sent to see whether it recovered (errors expected until it has).
   */
  others: Answer[];
  /** Every CodeRun created from the first request of the injection until it settled. */
  runs: RunSighting[];
  /** Sandbox Pods still orphaned when the campaign stopped waiting for them to go. */
  orphans: string[];
  /** From the kill until a new request got the right answer; null when none did within the bound. */
  recoverMs: number | null;
}

/** What one injection broke; empty when it held every promise (`make chaos` fails on any). */
export function failures(r: InjectionResult): string[] {
  return broken(r, true);
}

/**
 * What one injection lost: a wrong answer, a caller left without any answer, a run left unfinished, an
 * orphaned Pod, no recovery. It leaves out a caller in flight who got an error its fault does not excuse
 * (a run the fault delayed past its timeout on a loaded machine): an answer, not a loss. The e2e tier's
 * short form asserts this; `make chaos` counts everything (failures).
 */
export function losses(r: InjectionResult): string[] {
  return broken(r, false);
}

function broken(r: InjectionResult, callers: boolean): string[] {
  const out: string[] = [];
  if (r.inFlight.length === 0) out.push('no request was in flight when the fault struck');
  for (const a of [...r.inFlight, ...r.others].filter((a) => a.kind === 'wrong'))
    out.push(`wrong answer: ${a.detail}`);
  for (const a of r.inFlight.filter((a) => a.kind !== 'wrong' && !r.allowed.includes(a.kind))) {
    if (!callers && a.kind !== 'no answer') continue;
    out.push(`a caller in flight got ${a.kind === 'no answer' ? 'no answer' : `a ${a.kind}`}: ${a.detail}`);
  }
  for (const run of lostRuns(r.runs)) out.push(`run not terminal with a reason: ${run}`);
  for (const pod of r.orphans) out.push(`orphan Pod: ${pod}`);
  if (r.recoverMs === null) out.push('no new request got the right answer within the bound');
  return out.map((f) => `${r.fault}: ${f}`);
}

export const TABLE_HEADER = [
  'fault',
  'injections',
  'runs in flight',
  'right',
  'errors',
  'wrong answers',
  'terminal',
  'orphans',
  'time to recover (s, median / max)',
] as const;

const seconds = (ms: number) => (ms / 1000).toFixed(1);

/** One row per fault, in the order the faults first came, and a total row. */
export function tableRows(results: readonly InjectionResult[]): string[][] {
  const faults = [...new Set(results.map((r) => r.fault))];
  const row = (name: string, of: readonly InjectionResult[]): string[] => {
    const inFlight = of.flatMap((r) => r.inFlight);
    const count = (kinds: AnswerKind[], answers = inFlight) =>
      answers.filter((a) => kinds.includes(a.kind)).length;
    const runs = of.flatMap((r) => r.runs);
    const recovered = of.flatMap((r) => (r.recoverMs === null ? [] : [r.recoverMs])).sort((a, b) => a - b);
    const median = recovered[Math.floor((recovered.length - 1) / 2)];
    const missed = of.length - recovered.length;
    return [
      name,
      String(of.length),
      String(inFlight.length),
      String(count(['right'])),
      String(count(['clean error', 'connection error'])),
      String(count(['wrong'], [...inFlight, ...of.flatMap((r) => r.others)])),
      `${runs.length - lostRuns(runs).length}/${runs.length}`,
      String(of.reduce((n, r) => n + r.orphans.length, 0)),
      median === undefined
        ? 'never'
        : `${seconds(median)} / ${seconds(recovered.at(-1) as number)}${missed ? ` (${missed} never)` : ''}`,
    ];
  };
  return [
    ...faults.map((f) =>
      row(
        f,
        results.filter((r) => r.fault === f),
      ),
    ),
    row('all', results),
  ];
}

/** The rows as a Markdown table. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(TABLE_HEADER), line(TABLE_HEADER.map(() => '---')), ...rows.map(line)].join('\n');
}
