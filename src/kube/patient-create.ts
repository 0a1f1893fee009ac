// Creating an object in a namespace with a ResourceQuota can be refused for reasons that pass on their own:
// the quota not counted yet (a release installed moments ago: the kube-controller-manager counts a new CRD's
// objects one to two minutes after the CRD appears, measured on kind) or a lost race on the quota's usage
// (409 on resourcequotas). A caller that would rather wait than fail tries again here.
import { setTimeout as sleep } from 'node:timers/promises';
import { isCreateConflict, isQuotaPending } from './client.ts';

export interface PatienceOptions {
  /** Give up (rethrow the refusal) once waiting longer would pass this, counted from the first try. */
  maxWaitMs: number;
  signal?: AbortSignal;
  /** Called with each refusal that is waited out. */
  onWait?: (err: unknown, delayMs: number) => void;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The refusals that pass on their own. */
export const isPassingRefusal = (err: unknown): boolean => isQuotaPending(err) || isCreateConflict(err);

/** Runs `create` until it succeeds, a refusal that does not pass, maxWaitMs, or the signal. Backoff 250 ms to 5 s. */
export async function createPatiently<T>(create: () => Promise<T>, opts: PatienceOptions): Promise<T> {
  const now = opts.now ?? Date.now;
  const wait = opts.sleep ?? ((ms: number, signal?: AbortSignal) => sleep(ms, undefined, { signal }));
  const started = now();
  for (let delayMs = 250; ; delayMs = Math.min(delayMs * 2, 5000)) {
    try {
      return await create();
    } catch (err) {
      if (!isPassingRefusal(err) || opts.signal?.aborted || now() - started + delayMs > opts.maxWaitMs)
        throw err;
      opts.onWait?.(err, delayMs);
      await wait(delayMs, opts.signal).catch(() => undefined);
    }
  }
}
