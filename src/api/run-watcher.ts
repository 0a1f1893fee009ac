// One watch per API replica on the CodeRuns it created; resolves each waiting request when its run finishes.
// No object cache: finished runs carry up to 512 KiB of output each, and only the waiters matter.
import type { Logger } from 'pino';
import type { CodeRunClient } from '../coderun/client.ts';
import { type CodeRun, GROUP, isTerminal, PLURAL, VERSION } from '../coderun/schema.ts';
import { isNotFound, type KubeClients, statusCode } from '../kube/client.ts';
import { TrackedWatch } from '../kube/tracked-watch.ts';

interface Waiter {
  resolve: (run: CodeRun | null) => void;
  /** Set once the create succeeded; before that a 404 only means "not yet". */
  created: boolean;
}

const MAX_BACKOFF_MS = 10_000;
// A watch that ends sooner than this after it started counts as a failure, so nothing can loop tightly.
const MIN_HEALTHY_WATCH_MS = 1000;

/** How the watch is doing, for readiness and liveness. */
export interface WatchHealth {
  /** A watch is open now. */
  watching: boolean;
  /** Milliseconds since the watch was last open (0 while it is). */
  downForMs: number;
  /** Why the last watch ended, if one has. */
  lastEnd: string | undefined;
}

/** One watch event as the API server sends it; ERROR carries a metav1.Status instead of a run. */
type WatchObject = CodeRun & { code?: number; reason?: string; message?: string };

export class RunWatcher {
  private readonly kube: KubeClients;
  private readonly runs: CodeRunClient;
  private readonly namespace: string;
  private readonly labelSelector: string;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly waiters = new Map<string, Waiter>();
  private resourceVersion = '';
  private request: AbortController | undefined;
  private stopped = false;
  private failures = 0;
  private readonly watch: TrackedWatch;
  private lastEnd: string | undefined;
  /** Set by an ERROR event: the reason the current watch is about to end. */
  private endReason: string | undefined;

  constructor(opts: {
    kube: KubeClients;
    runs: CodeRunClient;
    namespace: string;
    labelSelector: string;
    log: Logger;
    now?: () => number;
  }) {
    this.kube = opts.kube;
    this.runs = opts.runs;
    this.namespace = opts.namespace;
    this.labelSelector = opts.labelSelector;
    this.log = opts.log.child({ component: 'run-watcher' });
    this.now = opts.now ?? Date.now;
    this.watch = new TrackedWatch(opts.kube.kubeConfig, this.now);
  }

  get health(): WatchHealth {
    return { watching: this.watch.watching, downForMs: this.watch.downForMs, lastEnd: this.lastEnd };
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.request?.abort();
    for (const waiter of this.waiters.values()) waiter.resolve(null);
    this.waiters.clear();
  }

  /**
   * Resolves with the run once it is terminal, or null when it was deleted or `signal` aborted.
   * Register before creating the run, so no event can slip past.
   */
  wait(name: string, signal: AbortSignal): Promise<CodeRun | null> {
    return new Promise((resolve) => {
      const done = (run: CodeRun | null) => {
        this.waiters.delete(name);
        signal.removeEventListener('abort', onAbort);
        resolve(run);
      };
      const onAbort = () => done(null);
      if (signal.aborted) return resolve(null);
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.set(name, { resolve: done, created: false });
    });
  }

  /** Tells the watcher the run exists, so a later 404 means it was deleted. */
  markCreated(name: string): void {
    const waiter = this.waiters.get(name);
    if (waiter) waiter.created = true;
  }

  /** Drops a waiter whose run was never created. */
  forget(name: string): void {
    this.waiters.get(name)?.resolve(null);
  }

  private onEvent(type: string, obj: WatchObject): void {
    if (type === 'ERROR') {
      // The API server reports a failed watch as an event and then ends the stream normally.
      // 410 Gone: our resource version was compacted away; only a fresh list can resume.
      if (obj.code === 410) this.resourceVersion = '';
      this.endReason = `${obj.code ?? '?'} ${obj.reason ?? 'Error'}: ${obj.message ?? 'watch error event'}`;
      return;
    }
    // Bookmarks carry only a resource version: keep it, so a reconnect after a quiet spell resumes there.
    if (obj.metadata?.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
    if (type === 'BOOKMARK') return;
    const waiter = this.waiters.get(obj.metadata?.name);
    if (!waiter) return;
    if (type === 'DELETED') waiter.resolve(null);
    else if (isTerminal(obj.status)) waiter.resolve(obj);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.endReason = undefined;
    try {
      if (!this.resourceVersion) {
        // Start from "now" and catch up on the runs we wait for: events before this point are gone.
        const list = await this.kube.custom.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: this.namespace,
          plural: PLURAL,
          labelSelector: this.labelSelector,
          limit: 1,
        });
        this.resourceVersion =
          (list as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion ?? '';
        await this.recheckWaiters();
      }
      this.request = await this.watch.watch(
        `/apis/${GROUP}/${VERSION}/namespaces/${this.namespace}/${PLURAL}`,
        {
          labelSelector: this.labelSelector,
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
        },
        (type, obj) => this.onEvent(type, obj as WatchObject),
        (err) => this.ended(err, this.watch.lastOpenForMs),
      );
    } catch (err) {
      this.ended(err, 0);
    }
  }

  /** Every end of a watch comes here once: log why, then reconnect (relisting after a 410). */
  private ended(err: unknown, openFor: number): void {
    this.request = undefined;
    if (this.stopped) return;
    if (statusCode(err) === 410) this.resourceVersion = '';
    // client-node ends a watch that saw no bytes for 30 s with a TimeoutError, and the API server ends
    // every watch after its timeout: both are normal ends, resumed at once from the last resource version.
    const timedOut = (err as { name?: string } | null)?.name === 'TimeoutError';
    const reason =
      this.endReason ?? (err ? (timedOut ? 'idle timeout' : String(err)) : 'closed by the server');
    const normal = !this.endReason && (!err || timedOut) && openFor >= MIN_HEALTHY_WATCH_MS;
    this.lastEnd = reason;
    if (normal) this.failures = 0;
    const delay = normal ? 0 : Math.min(MAX_BACKOFF_MS, 200 * 2 ** this.failures++);
    const relist = !this.resourceVersion;
    const fields = { reason, openForMs: openFor, retryInMs: delay, relist, waiters: this.waiters.size };
    if (normal) this.log.debug(fields, 'run watch ended; resuming');
    else if (relist && this.failures <= 1) this.log.info(fields, 'run watch expired; relisting');
    else this.log.warn(fields, 'run watch failed; reconnecting');
    setTimeout(() => void this.connect(), delay).unref();
  }

  /** After a gap in the watch, read each awaited run directly. */
  private async recheckWaiters(): Promise<void> {
    await Promise.all(
      [...this.waiters.entries()].map(async ([name, waiter]) => {
        try {
          const run = await this.runs.get(this.namespace, name);
          if (isTerminal(run.status)) waiter.resolve(run);
        } catch (err) {
          if (isNotFound(err) && waiter.created) waiter.resolve(null);
        }
      }),
    );
  }
}
