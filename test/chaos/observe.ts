// What the fault campaign watches in the sandbox namespace: every CodeRun's last state (polled, since a
// watch would die with the API server it watches) and the sandbox Pods nothing live owns.
import { setTimeout as delay } from 'node:timers/promises';
import type { V1Pod } from '@kubernetes/client-node';
import type { CodeRunClient } from '../../src/coderun/client.ts';
import { POOL_PLURAL, type SandboxPool } from '../../src/coderun/sandbox-pool.ts';
import { type CodeRun, GROUP, isTerminal, VERSION } from '../../src/coderun/schema.ts';
import { SANDBOX_SELECTOR } from '../../src/controller/sandbox-pod.ts';
import type { KubeClients } from '../../src/kube/client.ts';
import { orphanPods, type RunSighting } from './verdict.ts';

const POLL_MS = 500;
// One list may hang while etcd is down; the poll gives up on it and tries again.
const LIST_TIMEOUT_MS = 5000;

function bounded<T>(promise: Promise<T>, ms = LIST_TIMEOUT_MS): Promise<T> {
  promise.catch(() => undefined);
  return Promise.race([
    promise,
    delay(ms, undefined, { ref: false }).then(() =>
      Promise.reject(new Error(`no answer from the API server within ${ms} ms`)),
    ),
  ]);
}

interface Seen {
  sighting: RunSighting;
  created: number;
}

/**
 * Lists the namespace's CodeRuns every half second and keeps the last state of each, and whether it has
 * been deleted since. A finished run answered over /run lives a minute (the API's TTL) before it is
 * deleted, long past the next list, so none finishes unseen.
 */
export class RunTracker {
  private readonly runs: CodeRunClient;
  private readonly namespace: string;
  private readonly seen = new Map<string, Seen>();
  private stopped = false;
  private loop: Promise<void> | undefined;
  /** When the last list succeeded. */
  private listedAt = 0;

  constructor(runs: CodeRunClient, namespace: string) {
    this.runs = runs;
    this.namespace = namespace;
  }

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.poll().catch(() => undefined);
        await delay(POLL_MS);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async poll(): Promise<void> {
    const { items } = await bounded(this.runs.list(this.namespace));
    const present = new Set<string>();
    for (const run of items) {
      const uid = run.metadata.uid as string;
      present.add(uid);
      this.seen.set(uid, {
        sighting: { name: run.metadata.name, status: run.status, gone: false },
        created: Date.parse(run.metadata.creationTimestamp as string),
      });
    }
    for (const [uid, s] of this.seen) if (!present.has(uid)) s.sighting.gone = true;
    this.listedAt = Date.now();
  }

  /** The runs created at or after `since` (the API server stamps whole seconds). */
  since(since: number): RunSighting[] {
    const from = Math.floor(since / 1000) * 1000;
    return [...this.seen.values()].filter((s) => s.created >= from).map((s) => ({ ...s.sighting }));
  }

  /** Resolves once a list made after `after` succeeded, so that what `since` returns is that fresh. */
  async listedAfter(after: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.listedAt <= after) {
      if (Date.now() > deadline) return false;
      await delay(100);
    }
    return true;
  }
}

/** The namespace's sandbox Pods that no live run and no pool owns (verdict.ts, orphanPods). */
export async function orphansNow(
  kube: KubeClients,
  runs: CodeRunClient,
  namespace: string,
): Promise<string[]> {
  const [pods, list, pools] = await bounded(
    Promise.all([
      kube.core.listNamespacedPod({ namespace, labelSelector: SANDBOX_SELECTOR }),
      runs.list(namespace),
      kube.custom.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: POOL_PLURAL,
      }),
    ]),
  );
  const live = new Set<string>([
    ...list.items.filter((r: CodeRun) => !isTerminal(r.status)).map((r) => r.metadata.uid as string),
    ...(pools as { items: SandboxPool[] }).items.map((p) => p.metadata.uid as string),
  ]);
  return orphanPods(pods.items as V1Pod[], live);
}
