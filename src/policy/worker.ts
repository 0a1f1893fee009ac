// One policy worker thread: checks programs posted by the pool (pool.ts) with the profile it was started with.
import { parentPort, workerData } from 'node:worker_threads';
import type { Language } from '../coderun/schema.ts';
import { createPolicy } from './profiles.ts';
import type { PolicyProfile, PolicyVerdict } from './types.ts';

export interface WorkerData {
  profile: PolicyProfile;
  /** The pool's budget; the parsers that can stop early stop a little before it. */
  budgetMs: number;
}

export interface CheckRequest {
  id: number;
  language: Language;
  source: string;
}

export interface CheckReply {
  id: number;
  verdict: PolicyVerdict;
}

/** Posted once, when the worker has loaded and warmed its parsers: from then on a check's time is its own. */
export const READY = 'ready';

if (parentPort) {
  const port = parentPort;
  // Babel's error recovery builds one SyntaxError per error, and some inputs make quadratically many:
  // without stack traces each costs a fraction as much. Nothing in this thread reads a stack.
  Error.stackTraceLimit = 0;
  const { profile, budgetMs } = workerData as WorkerData;
  const policy = createPolicy(profile, { budgetMs: Math.max(1, budgetMs - 50) });
  // The first check of each language loads and compiles its parser; do it before taking programs.
  policy('python', 'x = 1\n');
  policy('nodejs', 'const x = 1;\n');
  port.postMessage(READY);
  port.on('message', (request: CheckRequest) => {
    const reply: CheckReply = { id: request.id, verdict: policy(request.language, request.source) };
    port.postMessage(reply);
  });
}
