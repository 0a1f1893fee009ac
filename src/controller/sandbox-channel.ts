// Job delivery and result collection (docs/runner-protocol.md): attach for live runs, the Pod log after a restart.
import { Readable, Writable } from 'node:stream';
import { Attach, type KubeConfig } from '@kubernetes/client-node';
import type { KubeClients } from '../kube/client.ts';
import { lastResultLine, type ParsedReport, parseRunnerOutput } from '../runtimes/protocol.ts';
import { CONTAINER_NAME } from './sandbox-pod.ts';

export interface SandboxChannel {
  /**
   * Writes the job line to the runner's stdin and reads its stdout until the result line or the end of the
   * stream; null when the stream ended without a result line. Rejects when the attach itself fails.
   * `onAttached` is called once the attach is open and the job on its way (for the start metrics).
   */
  deliver(
    namespace: string,
    podName: string,
    jobLine: string,
    signal: AbortSignal,
    onAttached?: () => void,
  ): Promise<ParsedReport | null>;
  /** The result line from the Pod log, for a run whose attach session this process does not hold. */
  readLog(namespace: string, podName: string): Promise<ParsedReport | null>;
}

/** The runner's line holds two capped, JSON-escaped streams; anything far beyond that is not a runner. */
const MAX_RUNNER_OUTPUT_BYTES = 8 * 2 ** 20;

/** Collects stdout and settles as soon as a complete result line is seen. */
class ResultCollector extends Writable {
  text = '';
  private readonly onLine: () => void;

  constructor(onLine: () => void) {
    super();
    this.onLine = onLine;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.text.length < MAX_RUNNER_OUTPUT_BYTES) this.text += chunk.toString('utf8');
    const start = lastResultLine(this.text);
    if (start !== -1 && this.text.indexOf('\n', start) !== -1) this.onLine();
    done();
  }
}

export class KubeSandboxChannel implements SandboxChannel {
  private readonly kube: KubeClients;
  private readonly attach: Attach;

  constructor(kube: KubeClients, kubeConfig: KubeConfig = kube.kubeConfig) {
    this.kube = kube;
    this.attach = new Attach(kubeConfig);
  }

  async deliver(
    namespace: string,
    podName: string,
    jobLine: string,
    signal: AbortSignal,
    onAttached?: () => void,
  ): Promise<ParsedReport | null> {
    return new Promise((resolve, reject) => {
      let socket: { close(): void; on(event: 'close', cb: () => void): void } | undefined;
      let settled = false;
      const finish = () => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', finish);
        socket?.close();
        resolve(parseRunnerOutput(stdout.text));
      };
      const stdout = new ResultCollector(finish);
      const stderr = new Writable({ write: (_c, _e, done) => done() });
      signal.addEventListener('abort', finish, { once: true });
      this.attach
        .attach(namespace, podName, CONTAINER_NAME, stdout, stderr, Readable.from([jobLine]), false)
        .then((ws) => {
          socket = ws;
          if (settled) ws.close();
          else onAttached?.();
          ws.on('close', finish);
        })
        .catch((err: unknown) => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', finish);
          reject(err);
        });
    });
  }

  async readLog(namespace: string, podName: string): Promise<ParsedReport | null> {
    const log = await this.kube.core.readNamespacedPodLog({
      namespace,
      name: podName,
      container: CONTAINER_NAME,
    });
    return parseRunnerOutput(typeof log === 'string' ? log : String(log));
  }
}
