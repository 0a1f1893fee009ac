// One policy worker thread: checks programs posted by the pool (pool.ts) with the profile it was started with.
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

if (parentPort) {
  const port = parentPort;
  const { profile, budgetMs, extraModules } = workerData as WorkerData;
  const policy = createPolicy(profile, { budgetMs: Math.max(1, budgetMs - 50), extraModules });
  // The first checks of each language load and compile its parser and rules; run them before taking programs.
  const warmUp = warmUpChecks();
  for (const check of warmUp.cold) policy(...check);
  port.postMessage(READY);
  let warm = false;
  port.on('message', (request: CheckRequest) => {
    if (!warm) port.postMessage({ started: request.id } satisfies CheckStarted);
    const reply: CheckReply = { id: request.id, verdict: policy(request.language, request.source) };
    port.postMessage(reply);
  });
  // Then the rest of the warm-up, one check per turn of the event loop: a program that arrives meanwhile
  // waits for one short warm-up check at most, never for the whole warm-up.
  const next = () => {
    const check = warmUp.idle.next();
    if (check.done) {
      warm = true;
      port.postMessage(WARM);
      return;
    }
    policy(...check.value);
    setImmediate(next);
  };
  setImmediate(next);
}
