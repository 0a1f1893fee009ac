// The controller's live connections to sandboxes, beside its reconcile loop: attaches kept open to idle pool
// Pods ahead of a claim, the delivery of each run's job with the runner's report it brings back, and the
// Pod log read after a restart. The only memory the controller has that the cluster does not; the Pod log
// replaces it after a restart. The reconcile loop reads a run's report (an input of decide()) and is told
// when a delivery has settled.
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { CodeRun } from '../coderun/schema.ts';
import { apiErrorMessage } from '../kube/client.ts';
import type { ParsedReport } from '../runtimes/protocol.ts';
import type { ReportState } from './outcome.ts';
import type { OpenSession, SandboxChannel } from './sandbox-channel.ts';
import { LABELS } from './sandbox-pod.ts';
import { isClaimable } from './warm-pool.ts';

/** Attach attempts for one run before its report is "could not attach" (the Pod log is then the source). */
const ATTACH_ATTEMPTS = 3;

function reportFrom(source: 'session' | 'log', parsed: ParsedReport | null): ReportState {
  if (!parsed) return { source, report: null };
  return parsed.ok ? { source, report: parsed.report } : { source, report: null, error: parsed.error };
}

export class SandboxSessions {
  private readonly channel: SandboxChannel;
  private readonly log: Logger;
  /** Runner reports by run uid, from an attach session or the Pod log. */
  private readonly reports = new Map<string, ReportState>();
  /** Deliveries in flight by run uid. */
  private readonly sessions = new Map<string, AbortController>();
  private readonly attachFailures = new Map<string, number>();
  /** Attaches opened to idle pool Pods ahead of a claim (by namespace/name), and those handed to a run (by uid). */
  private readonly preopened = new Map<string, OpenSession>();
  private readonly handedOver = new Map<string, OpenSession>();
  private preattach = false;

  constructor(opts: { channel: SandboxChannel; log: Logger }) {
    this.channel = opts.channel;
    this.log = opts.log;
  }

  /** From now on idle pool Pods get an attach ahead of their claim (if the channel can and `enabled`). */
  start(enabled: boolean): void {
    this.preattach = enabled && Boolean(this.channel.open);
  }

  stop(): void {
    this.preattach = false;
    for (const session of [...this.preopened.values(), ...this.handedOver.values()]) session.close();
    this.preopened.clear();
    this.handedOver.clear();
    for (const session of this.sessions.values()) session.abort();
  }

  /** The runner's report for a run so far (decide()'s input). */
  report(uid: string): ReportState {
    return this.reports.get(uid) ?? { source: 'none' };
  }

  /** Whether a delivery to the run's sandbox is in flight. */
  active(uid: string): boolean {
    return this.sessions.has(uid);
  }

  /** Runs this holds anything for. */
  runs(): Iterable<string> {
    return new Set([...this.reports.keys(), ...this.sessions.keys(), ...this.attachFailures.keys()]);
  }

  forget(uid: string): void {
    this.sessions.get(uid)?.abort();
    this.sessions.delete(uid);
    this.reports.delete(uid);
    this.attachFailures.delete(uid);
    this.handedOver.get(uid)?.close();
    this.handedOver.delete(uid);
  }

  /**
   * Keeps an attach open to every claimable pool Pod among `pods`, and closes those whose Pod is gone or no
   * longer idle without a claim of ours (deleted, taken, its runner ended).
   */
  preopenAll(pods: readonly V1Pod[]): void {
    const poolPods = pods.filter((p) => p.metadata?.labels?.[LABELS.pool]);
    const known = new Set(poolPods.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`));
    for (const [key, session] of this.preopened) {
      if (known.has(key)) continue;
      session.close();
      this.preopened.delete(key);
    }
    for (const pod of poolPods) this.preopen(pod);
  }

  /** The same for one Pod, as its informer reports it. */
  preopen(pod: V1Pod): void {
    const { open } = this.channel;
    if (!open || !this.preattach) return;
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const current = this.preopened.get(key);
    if (isClaimable(pod)) {
      if (current?.alive) return;
      const session = open.call(this.channel, pod.metadata?.namespace ?? '', pod.metadata?.name ?? '');
      this.preopened.set(key, session);
      session.opened.catch((err: unknown) => {
        this.log.debug({ pod: key, err: apiErrorMessage(err) }, 'could not pre-open an attach');
        if (this.preopened.get(key) === session) this.preopened.delete(key);
      });
      return;
    }
    if (current) {
      current.close();
      this.preopened.delete(key);
    }
  }

  /**
   * Takes the attach opened to a pool Pod before it is claimed (the informer may report the claimed Pod
   * before the claim's reply, and an attach left among the idle ones would then be closed). `claimed` gives
   * it to the run, `lost` closes it.
   */
  takePreopened(namespace: string, podName: string): { claimed(uid: string): void; lost(): void } {
    const session = this.preopened.get(`${namespace}/${podName}`);
    this.preopened.delete(`${namespace}/${podName}`);
    return {
      claimed: (uid) => {
        if (session) this.handedOver.set(uid, session);
      },
      lost: () => session?.close(),
    };
  }

  /**
   * Delivers the job in the background, through the attach handed over at the claim if it is still open,
   * else a new one; `attached` is called once the job is on its way, `settled` when to look at the run again.
   */
  deliver(
    run: CodeRun,
    podName: string,
    jobLine: string,
    opts: {
      budgetMs: number;
      log: Logger;
      attached: () => void;
      failed: () => void;
      /** `reported`: the runner's report came back on this session. */
      settled: (afterMs: number, reported: boolean) => void;
    },
  ): void {
    const uid = run.metadata.uid;
    const abort = new AbortController();
    // Never wait on a session longer than the Pod itself may live.
    const timer = setTimeout(() => abort.abort(), opts.budgetMs);
    this.sessions.set(uid, abort);
    const preopened = this.handedOver.get(uid);
    this.handedOver.delete(uid);
    let delivery: Promise<ParsedReport | null>;
    if (preopened?.alive) {
      opts.attached();
      delivery = preopened.deliver(jobLine, abort.signal);
    } else {
      preopened?.close();
      delivery = this.channel.deliver(run.metadata.namespace, podName, jobLine, abort.signal, opts.attached);
    }
    delivery
      .then((parsed) => {
        if (this.sessions.get(uid) === abort) this.reports.set(uid, reportFrom('session', parsed));
      })
      .catch((err: unknown) => {
        const attempts = (this.attachFailures.get(uid) ?? 0) + 1;
        this.attachFailures.set(uid, attempts);
        opts.failed();
        opts.log.warn({ err: apiErrorMessage(err), attempts }, 'attach to the sandbox failed');
        // Retry a few times while the Pod runs; after that the Pod log is the only source left.
        if (attempts >= ATTACH_ATTEMPTS && this.sessions.get(uid) === abort) {
          this.reports.set(uid, {
            source: 'session',
            report: null,
            error: `could not attach to the sandbox: ${apiErrorMessage(err)}`,
          });
        }
      })
      .finally(() => {
        clearTimeout(timer);
        if (this.sessions.get(uid) === abort) this.sessions.delete(uid);
        const reported = this.reports.get(uid)?.report != null;
        opts.settled(this.attachFailures.has(uid) && !this.reports.has(uid) ? 1000 : 0, reported);
      });
  }

  /**
   * Reads the runner's report from the Pod log. `onlyIfFound`: keep it only when the log holds a result
   * line (after a restart, to learn whether the job already ran); returns whether it did.
   */
  async readLog(run: CodeRun, podName: string, log: Logger, onlyIfFound = false): Promise<boolean> {
    let state: ReportState;
    let found = false;
    try {
      const parsed = await this.channel.readLog(run.metadata.namespace, podName);
      state = reportFrom('log', parsed);
      found = parsed !== null;
    } catch (err) {
      log.warn({ err: apiErrorMessage(err) }, 'could not read the sandbox log');
      state = {
        source: 'log',
        report: null,
        error: `could not read the sandbox log: ${apiErrorMessage(err)}`,
      };
    }
    if (found || !onlyIfFound) this.reports.set(run.metadata.uid, state);
    return found;
  }
}
