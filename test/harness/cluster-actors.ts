// Stand-ins for what an integration cluster lacks: the kubelet (writes Pod status) and the runner (answers
// the job the controller delivers). Everything else is the real API server.
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { V1ContainerState, V1Pod } from '@kubernetes/client-node';
import { pack as tarPack } from 'tar-stream';
import type { OpenSession, SandboxChannel } from '../../src/controller/sandbox-channel.ts';
import type { KubeClients } from '../../src/kube/client.ts';
import { type ParsedReport, RESULT_MARKER, type RunnerReport } from '../../src/runtimes/protocol.ts';
import { makeReport } from '../fixtures.ts';

interface PendingDelivery {
  job: string;
  resolve: (parsed: ParsedReport | null) => void;
}

/** Plays the runner: records each delivered job and answers when the test says so. */
export class ScriptedRunner implements SandboxChannel {
  readonly jobs = new Map<string, string[]>();
  private readonly pending = new Map<string, PendingDelivery>();
  private readonly logs = new Map<string, string>();
  private readonly waiters = new Map<string, (() => void)[]>();
  private readonly files = new Map<string, Map<string, Buffer>>();
  /** Pods whose job came through an attach opened before the claim (the warm hot path). */
  readonly deliveredThroughOpen = new Set<string>();
  /** Every artifact fetch: the Pod and the names asked for. */
  readonly fetches: { pod: string; names: string[] }[] = [];

  async deliver(
    namespace: string,
    podName: string,
    jobLine: string,
    signal: AbortSignal,
  ): Promise<ParsedReport | null> {
    const key = `${namespace}/${podName}`;
    this.jobs.set(key, [...(this.jobs.get(key) ?? []), jobLine]);
    for (const wake of this.waiters.get(key)?.splice(0) ?? []) wake();
    return new Promise((resolve) => {
      this.pending.set(key, { job: jobLine, resolve });
      signal.addEventListener('abort', () => resolve(null), { once: true });
    });
  }

  async readLog(namespace: string, podName: string): Promise<ParsedReport | null> {
    const log = this.logs.get(`${namespace}/${podName}`) ?? '';
    const { parseRunnerOutput } = await import('../../src/runtimes/protocol.ts');
    return parseRunnerOutput(log);
  }

  /** An attach opened ahead of a claim: its one delivery is recorded like any other. */
  open(namespace: string, podName: string): OpenSession {
    let alive = true;
    return {
      get alive() {
        return alive;
      },
      opened: Promise.resolve(),
      deliver: (jobLine, signal) => {
        alive = false;
        this.deliveredThroughOpen.add(`${namespace}/${podName}`);
        return this.deliver(namespace, podName, jobLine, signal);
      },
      close: () => {
        alive = false;
      },
    };
  }

  /** Plays the sandbox's `tar` (docs/runner-protocol.md): the named files that exist, as one tar stream. */
  async readArtifacts(namespace: string, podName: string, names: string[], sink: Writable): Promise<void> {
    const key = `${namespace}/${podName}`;
    this.fetches.push({ pod: key, names });
    const files = this.files.get(key) ?? new Map<string, Buffer>();
    const pack = tarPack();
    for (const name of names) {
      const bytes = files.get(name);
      if (bytes) pack.entry({ name, size: bytes.length }, bytes);
    }
    pack.finalize();
    await pipeline(pack, sink);
  }

  /** The files the sandbox's artifacts folder holds (what the program wrote). */
  setFiles(namespace: string, podName: string, files: Record<string, Buffer>): void {
    this.files.set(`${namespace}/${podName}`, new Map(Object.entries(files)));
  }

  /** Resolves with the job line once the controller has delivered one to this Pod. */
  async jobFor(namespace: string, podName: string, timeoutMs = 20_000): Promise<string> {
    const key = `${namespace}/${podName}`;
    const deadline = Date.now() + timeoutMs;
    while (!this.jobs.get(key)?.length) {
      if (Date.now() > deadline) throw new Error(`no job was delivered to ${key} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.set(key, [...(this.waiters.get(key) ?? []), resolve]);
        setTimeout(resolve, 200);
      });
    }
    return this.jobs.get(key)?.[0] as string;
  }

  /** Answers the live attach session with a result line, as the runner would before exiting. */
  answer(namespace: string, podName: string, report: RunnerReport): void {
    const delivery = this.pending.get(`${namespace}/${podName}`);
    if (!delivery) throw new Error(`no live session for ${namespace}/${podName}`);
    delivery.resolve({ ok: true, report });
  }

  /** Ends the live session without a result line (the sandbox died). */
  hangUp(namespace: string, podName: string): void {
    this.pending.get(`${namespace}/${podName}`)?.resolve(null);
  }

  /** What the Pod log holds, for a controller that reads it after a restart. */
  setLog(namespace: string, podName: string, report: RunnerReport): void {
    this.logs.set(`${namespace}/${podName}`, `${RESULT_MARKER}${JSON.stringify(report)}\n`);
  }
}

/** Plays the kubelet: writes the runner container's state into the Pod's status. */
export async function setContainerState(
  kube: KubeClients,
  namespace: string,
  podName: string,
  state: V1ContainerState,
  podStatus: Partial<NonNullable<V1Pod['status']>> = {},
): Promise<void> {
  const pod = await kube.core.readNamespacedPod({ namespace, name: podName });
  const phase = state.running
    ? 'Running'
    : state.terminated
      ? state.terminated.exitCode === 0
        ? 'Succeeded'
        : 'Failed'
      : 'Pending';
  pod.status = {
    phase,
    startTime: new Date(),
    containerStatuses: [
      {
        name: 'runner',
        image: pod.spec?.containers[0]?.image ?? '',
        imageID: '',
        ready: Boolean(state.running),
        restartCount: 0,
        state,
      },
    ],
    ...podStatus,
  };
  await kube.core.replaceNamespacedPodStatus({ namespace, name: podName, body: pod });
}

/** A runner report with the defaults the integration tests assert on. */
export function report(fields: Partial<RunnerReport> = {}): RunnerReport {
  return makeReport({
    stdout: 'hello\n',
    durationMs: 25,
    result: { present: true, value: { sum: 3 } },
    ...fields,
  });
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`,
  );
}
