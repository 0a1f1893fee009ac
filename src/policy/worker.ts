// One policy worker thread: checks programs posted by the pool (pool.ts) with the profile it was started with.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { createPolicy } from './profiles.ts';
import type { ExtraModules, PolicyInput, PolicyProfile, PolicyVerdict } from './types.ts';
import { warmUpChecks } from './warm-up.ts';

export interface WorkerData {
  profile: PolicyProfile;
  /** The pool's budget; the parsers that can stop early stop a little before it. */
  budgetMs: number;
  extraModules?: ExtraModules;
}

export interface CheckRequest {
  id: number;
  language: PolicyInput;
  source: string;
}

export interface CheckReply {
  id: number;
  verdict: PolicyVerdict;
}

/** Posted once, when the worker has loaded and compiled its parsers: from then on a check's time is its own. */
export const READY = 'ready';
/** Posted once, when the worker has run its warm-up checks (./warm-up.ts) and its checks run at full speed. */
export const WARM = 'warm';

/** Posted before WARM, as a check starts: it may have waited for a warm-up check, which its budget leaves out. */
export interface CheckStarted {
  started: number;
}

type MinorGc = (options: { type: 'minor'; execution: 'sync' }) => void;

/** Tries to get gc() this many times: the pool's workers start together (see youngCollector). */
const GC_ATTEMPTS = 20;

if (parentPort) {
  const port = parentPort;
  const { profile, budgetMs, extraModules } = workerData as WorkerData;
  const policy = createPolicy(profile, { budgetMs: Math.max(1, budgetMs - 50), extraModules });
  // The first checks of each language load and compile its parser and rules; run them before taking programs.
  const warmUp = warmUpChecks();
  for (const check of warmUp.cold) policy(...check);
  const collectYoung = youngCollector();
  port.postMessage(READY);
  let warm = false;
  let idleCollection: NodeJS.Immediate | undefined;
  port.on('message', (request: CheckRequest) => {
    clearImmediate(idleCollection);
    if (!warm) port.postMessage({ started: request.id } satisfies CheckStarted);
    const reply: CheckReply = { id: request.id, verdict: policy(request.language, request.source) };
    port.postMessage(reply);
    // The check's garbage is collected while the worker waits for the next one, unless that one is already
    // here: a check then starts with an empty young generation, so a 16 KiB check rarely stops for a scavenge,
    // which on a loaded machine waits for V8's helper threads (up to 90 ms a pause at load 10-20).
    idleCollection = setImmediate(collectYoung);
  });
  // Then the rest of the warm-up, one check per turn of the event loop: a program that arrives meanwhile
  // waits for one short warm-up check at most, never for the whole warm-up.
  const next = () => {
    const check = warmUp.idle.next();
    if (check.done) {
      collectYoung();
      warm = true;
      port.postMessage(WARM);
      return;
    }
    policy(...check.value);
    setImmediate(next);
  };
  setImmediate(next);
}

/**
 * A minor (young-generation) collection, run between checks. V8 gives a script gc() only under --expose-gc, and
 * that flag cannot be passed to a worker: it is set for one new context here, and unset again. The flag is the
 * process's, and the other workers set and unset it as they start too: one may unset it between this worker's
 * set and its new context, which then has no gc (it happened to 3 of 45 workers started nine at a time). So it is
 * tried again; should every try lose, V8 collects the checks' garbage on its own, as it does without this.
 */
function youngCollector(): () => void {
  for (let attempt = 0; attempt < GC_ATTEMPTS; attempt++) {
    setFlagsFromString('--expose-gc');
    try {
      const gc = runInNewContext('typeof gc === "function" ? gc : undefined') as MinorGc | undefined;
      if (gc) return () => gc({ type: 'minor', execution: 'sync' });
    } finally {
      setFlagsFromString('--no-expose-gc');
    }
  }
  return () => {};
}
