// One watch per API replica on the CodeRuns it created; resolves each waiting request when its run finishes.
// No object cache: finished runs carry up to 512 KiB of output each, and only the waiters matter.
import { Watch } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { CodeRunClient } from '../coderun/client.ts';
import { type CodeRun, GROUP, isTerminal, PLURAL, VERSION } from '../coderun/schema.ts';
import { isNotFound, type KubeClients, statusCode } from '../kube/client.ts';

interface Waiter {
  resolve: (run: CodeRun | null) => void;
  /** Set once the create succeeded; before that a 404 only means "not yet". */
  created: boolean;
}

const MAX_BACKOFF_MS = 10_000;

export class RunWatcher {
  private readonly kube: KubeClients;
  private readonly runs: CodeRunClient;
  private readonly namespace: string;
  private readonly labelSelector: string;
  private readonly log: Logger;
  private readonly waiters = new Map<string, Waiter>();
  private resourceVersion = '';
  private request: AbortController | undefined;
  private stopped = false;
  private failures = 0;
  private connected = false;

  constructor(opts: {
    kube: KubeClients;
    runs: CodeRunClient;
    namespace: string;
    labelSelector: string;
    log: Logger;
  }) {
    this.kube = opts.kube;
    this.runs = opts.runs;
    this.namespace = opts.namespace;
    this.labelSelector = opts.labelSelector;
    this.log = opts.log.child({ component: 'run-watcher' });
  }

  /** True while the watch is established (readiness). */
  get healthy(): boolean {
    return this.connected;
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

  private onEvent(type: string, run: CodeRun): void {
    if (type === 'BOOKMARK' || type === 'ERROR') return;
    if (run.metadata?.resourceVersion) this.resourceVersion = run.metadata.resourceVersion;
    const waiter = this.waiters.get(run.metadata?.name);
    if (!waiter) return;
    if (type === 'DELETED') waiter.resolve(null);
    else if (isTerminal(run.status)) waiter.resolve(run);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
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
      const watch = new Watch(this.kube.kubeConfig);
      this.request = await watch.watch(
        `/apis/${GROUP}/${VERSION}/namespaces/${this.namespace}/${PLURAL}`,
        {
          labelSelector: this.labelSelector,
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
        },
        (type, obj) => this.onEvent(type, obj as CodeRun),
        (err) => this.reconnect(err),
      );
      this.connected = true;
      this.failures = 0;
    } catch (err) {
      this.reconnect(err);
    }
  }

  private reconnect(err: unknown): void {
    this.connected = false;
    if (this.stopped) return;
    if (statusCode(err) === 410) this.resourceVersion = '';
    // client-node ends every watch with a client-side TimeoutError after a while: that is a normal end.
    const failed = err && (err as { name?: string }).name !== 'TimeoutError';
    const delay = failed ? Math.min(MAX_BACKOFF_MS, 200 * 2 ** this.failures++) : 0;
    if (failed) this.log.warn({ err: String(err), retryInMs: delay }, 'run watch failed; reconnecting');
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
