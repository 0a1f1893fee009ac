// Creating an object in a namespace with a ResourceQuota can be refused for reasons that pass on their own:
// - the quota not counted yet: a release installed moments ago, whose quota the kube-controller-manager
//   counts only once it has discovered the CRD (1-2 minutes after install on a new kind cluster);
// - a lost race on the quota's usage (409 Conflict on resourcequotas, under load): nothing was created, and
//   trying again at once succeeds.
// The API (per request) and the isolation self-test wait these out here rather than fail.
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isCreateConflict, isQuotaPending } from './client.ts';

/** How many times a create that lost a race on the quota's usage is tried again, each after 10-50 x n ms. */
export const CREATE_CONFLICT_RETRIES = 5;

export interface PatienceOptions {
  /** A quota not counted yet is waited out until waiting longer would pass this, from the first try. */
  maxWaitMs: number;
  /** The longest single wait for a quota not counted yet (the waits double from 250 ms). Default 5 s. */
  maxDelayMs?: number;
  signal?: AbortSignal | undefined;
  /** Called before each wait with the refusal being waited out. */
  onWait?: (err: unknown, delayMs: number) => void;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Runs `create` until it succeeds or is refused for good (then that refusal is thrown), or the signal fires. */
export async function createPatiently<T>(create: () => Promise<T>, opts: PatienceOptions): Promise<T> {
  const now = opts.now ?? Date.now;
  const wait = opts.sleep ?? ((ms: number, signal?: AbortSignal) => sleep(ms, undefined, { signal }));
  const started = now();
  let conflicts = 0;
  for (let delayMs = 250; ; ) {
    try {
      return await create();
    } catch (err) {
      let waitMs: number;
      if (isCreateConflict(err) && conflicts < CREATE_CONFLICT_RETRIES) {
        conflicts++;
        waitMs = randomInt(10, 50 * conflicts);
      } else if (isQuotaPending(err) && now() - started + delayMs <= opts.maxWaitMs) {
        waitMs = delayMs;
        delayMs = Math.min(delayMs * 2, opts.maxDelayMs ?? 5000);
      } else throw err;
      if (opts.signal?.aborted) throw err;
      opts.onWait?.(err, waitMs);
      await wait(waitMs, opts.signal).catch(() => undefined);
      if (opts.signal?.aborted) throw err;
    }
  }
}
