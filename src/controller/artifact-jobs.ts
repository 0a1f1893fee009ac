// The controller's artifact work, beside its reconcile loop: the store (prepared in the background until it
// answers), fetches from sandboxes a bounded number at once with each run's fetch state, the deletion of a
// run's folder at its TTL, and the sweep of folders whose run is gone. The reconcile loop reads a run's
// state (an input of decide()) and is told when a fetch has settled.
import type { Logger } from 'pino';
import { type ArtifactStore, folderUid, runFolder } from '../artifacts/store.ts';
import type { CodeRun } from '../coderun/schema.ts';
import type { ControllerConfig } from '../config/controller.ts';
import { apiErrorMessage } from '../kube/client.ts';
import { ArtifactCollector, type SandboxFiles } from './artifact-collector.ts';
import type { ArtifactState, Step } from './reconcile.ts';

/** Fetch attempts for one run before its files are reported as not returned. */
const COLLECT_ATTEMPTS = 3;

export class ArtifactJobs {
  private readonly store: ArtifactStore | null;
  private readonly collector: ArtifactCollector | null;
  private readonly config: ControllerConfig;
  private readonly log: Logger;
  private readonly states = new Map<string, ArtifactState>();
  private readonly failures = new Map<string, number>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private sweeper: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(opts: {
    files: SandboxFiles;
    store: ArtifactStore | null;
    config: ControllerConfig;
    log: Logger;
  }) {
    this.store = opts.store;
    this.collector = opts.store ? new ArtifactCollector(opts.files, opts.store) : null;
    this.config = opts.config;
    this.log = opts.log;
  }

  /**
   * Prepares the store in the background and sweeps it periodically. A store that is down must not keep
   * runs from running (their files are reported as not returned), so nothing here waits for it.
   */
  start(liveRuns: () => Iterable<string>, served: readonly string[]): void {
    const store = this.store;
    if (!store) return;
    void this.prepare(store);
    this.sweeper = setInterval(
      () => void this.sweep(store, new Set(liveRuns()), new Set(served)),
      this.config.artifactSweepSeconds * 1000,
    );
    this.sweeper.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
  }

  /** Where the fetch of a run's artifacts stands (decide()'s input). */
  state(uid: string): ArtifactState {
    return this.states.get(uid) ?? { state: 'none' };
  }

  /** Runs this holds state for. */
  runs(): Iterable<string> {
    return this.states.keys();
  }

  forget(uid: string): void {
    this.states.delete(uid);
    this.failures.delete(uid);
  }

  /** Fetches in the background, a bounded number at once; `settled` is called when to look at the run again. */
  collect(
    run: CodeRun,
    step: Extract<Step, { do: 'collectArtifacts' }>,
    log: Logger,
    settled: (afterMs: number) => void,
  ): void {
    const uid = run.metadata.uid;
    const collector = this.collector;
    if (!collector) return;
    this.states.set(uid, { state: 'collecting' });
    const ref = { namespace: run.metadata.namespace, name: run.metadata.name, uid, podName: step.podName };
    const started = Date.now();
    this.slot()
      .then(() => collector.collect(ref, step.plan, step.output).finally(() => this.release()))
      .then((collected) => {
        if (this.states.get(uid)?.state !== 'collecting') return;
        this.states.set(uid, { state: 'collected', ...collected });
        log.info(
          { stored: collected.stored.length, skipped: collected.skipped.length, ms: Date.now() - started },
          'stored artifacts',
        );
      })
      .catch((err: unknown) => {
        const attempts = (this.failures.get(uid) ?? 0) + 1;
        this.failures.set(uid, attempts);
        log.warn({ err: apiErrorMessage(err), attempts }, 'could not store the artifacts');
        if (this.states.get(uid)?.state !== 'collecting') return;
        this.states.set(
          uid,
          attempts >= COLLECT_ATTEMPTS
            ? { state: 'failed', error: `could not store the artifacts: ${apiErrorMessage(err)}` }
            : { state: 'none' },
        );
      })
      .finally(() => settled(this.states.get(uid)?.state === 'none' ? 1000 : 0));
  }

  /** Deletes what the store keeps of a run (its artifacts and whole output), before the run goes. */
  async deleteRun(run: CodeRun): Promise<void> {
    if (!this.store || !(run.status?.artifacts?.length || run.status?.fullOutput)) return;
    await this.store.deletePrefix(runFolder(run.metadata.namespace, run.metadata.name, run.metadata.uid));
  }

  private async prepare(store: ArtifactStore): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await store.ready();
        if (attempt > 1) this.log.info({ attempt }, 'the artifact store answers');
        return;
      } catch (err) {
        const level = attempt < 6 ? 'warn' : 'error';
        this.log[level]({ err: apiErrorMessage(err), attempt }, 'the artifact store does not answer yet');
        await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 1000 * attempt)).unref());
      }
    }
  }

  private slot(): Promise<void> {
    if (this.running < this.config.artifactCollections) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }

  /**
   * The safety net behind deletion at the TTL: run folders in the store whose run no longer exists (deleted
   * by hand, or while this controller was down) are deleted. Only for namespaces this controller serves.
   */
  private async sweep(store: ArtifactStore, live: Set<string>, served: Set<string>): Promise<void> {
    try {
      for (const folder of await store.listRunFolders()) {
        const namespace = folder.split('/')[0] ?? '';
        if (served.size && !served.has(namespace)) continue;
        if (live.has(folderUid(folder))) continue;
        await store.deletePrefix(folder);
        this.log.info({ folder }, 'deleted artifacts of a run that no longer exists');
      }
    } catch (err) {
      this.log.warn({ err: apiErrorMessage(err) }, 'artifact sweep failed');
    }
  }
}
