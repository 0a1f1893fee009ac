// Job delivery and result collection (docs/runner-protocol.md): attach for live runs, the Pod log after a restart.
import { PassThrough, Writable } from 'node:stream';
import { Attach, Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';
import type { KubeClients } from '../kube/client.ts';
import { lastResultLine, type ParsedReport, parseRunnerOutput } from '../runtimes/protocol.ts';
import type { SandboxFiles } from './artifact-collector.ts';
import { CONTAINER_NAME, WORK_DIR } from './sandbox-pod.ts';

export interface SandboxChannel extends SandboxFiles {
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
  /**
   * Attaches to an idle pool Pod ahead of its claim, so a claim only writes the job: the attach's own
   * round trips (API server, kubelet, runtime) leave the hot path. Optional; without it every delivery
   * attaches when it is needed.
   */
  open?(namespace: string, podName: string): OpenSession;
}

/** What `SandboxChannel.deliver` takes, for implementations that take it as declared there. */
export type DeliverArguments = Parameters<SandboxChannel['deliver']>;

/** An attach opened before there is a job; `deliver` sends one job line through it, once. */
export interface OpenSession {
  /** False once the stream has ended (the Pod went away, the API server restarted, ...). */
  readonly alive: boolean;
  /** Resolves once the attach is open (rejects when it cannot be). */
  readonly opened: Promise<void>;
  deliver(jobLine: string, signal: AbortSignal): Promise<ParsedReport | null>;
  close(): void;
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

/** The part of a WebSocket the fetch paces: reading stops while the consumer is behind. */
interface Pausable {
  pause(): void;
  resume(): void;
  close(): void;
  on(event: 'close', cb: () => void): void;
}

/**
 * Passes an exec's stdout on to `target` and pauses the socket while `target` is full: client-node writes
 * every message it receives and ignores backpressure, so without this a slow store would pile the whole
 * transfer up in memory.
 */
class Paced extends Writable {
  socket: Pausable | undefined;
  private readonly target: Writable;
  private paused = false;

  constructor(target: Writable) {
    super();
    this.target = target;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.target.destroyed) {
      done();
      return;
    }
    if (!this.target.write(chunk) && !this.paused) {
      this.paused = true;
      this.socket?.pause();
      this.target.once('drain', () => {
        this.paused = false;
        this.socket?.resume();
      });
    }
    done();
  }

  override _final(done: (err?: Error | null) => void): void {
    this.target.end();
    done();
  }
}

export class KubeSandboxChannel implements SandboxChannel {
  private readonly kube: KubeClients;
  private readonly attach: Attach;
  private readonly exec: Exec;

  constructor(kube: KubeClients, kubeConfig: KubeConfig = kube.kubeConfig) {
    this.kube = kube;
    this.attach = new Attach(kubeConfig);
    this.exec = new Exec(kubeConfig);
  }

  open(namespace: string, podName: string): OpenSession {
    const stdin = new PassThrough();
    let socket: { close(): void; on(event: 'close', cb: () => void): void } | undefined;
    let alive = true;
    let pending: { resolve: (p: ParsedReport | null) => void; reject: (err: unknown) => void } | undefined;
    let aborted: AbortSignal | undefined;
    const finish = () => {
      alive = false;
      socket?.close();
      aborted?.removeEventListener('abort', finish);
      pending?.resolve(parseRunnerOutput(stdout.text));
      pending = undefined;
    };
    const stdout = new ResultCollector(finish);
    const stderr = new Writable({ write: (_c, _e, done) => done() });
    const opened = this.attach
      .attach(namespace, podName, CONTAINER_NAME, stdout, stderr, stdin, false)
      .then((ws) => {
        socket = ws;
        if (!alive) ws.close();
        ws.on('close', finish);
      })
      .catch((err: unknown) => {
        alive = false;
        aborted?.removeEventListener('abort', finish);
        // A job already written never reached the runner: the caller retries as for any failed attach.
        pending?.reject(err);
        pending = undefined;
        throw err;
      });
    opened.catch(() => undefined);
    return {
      get alive() {
        return alive;
      },
      opened,
      deliver: (jobLine, signal) =>
        new Promise((resolve, reject) => {
          if (!alive) return reject(new Error('the pre-opened attach has ended'));
          pending = { resolve, reject };
          aborted = signal;
          if (signal.aborted) return finish();
          signal.addEventListener('abort', finish, { once: true });
          stdin.end(jobLine);
        }),
      close: finish,
    };
  }

  /** `tar` in the sandbox (docs/runner-protocol.md, Artifacts): no link is followed, names are literal. */
  readArtifacts(namespace: string, podName: string, names: string[], sink: Writable): Promise<void> {
    const command = ['tar', '-C', `${WORK_DIR}/artifacts`, '-cf', '-', '--', ...names];
    const stdout = new Paced(sink);
    const stderr: Buffer[] = [];
    const errors = new Writable({
      write(chunk: Buffer, _enc, done) {
        if (stderr.length < 16) stderr.push(chunk);
        done();
      },
    });
    return new Promise((resolve, reject) => {
      let status: V1Status | undefined;
      sink.once('error', (err) => {
        stdout.socket?.close();
        reject(err);
      });
      this.exec
        .exec(namespace, podName, CONTAINER_NAME, command, stdout, errors, null, false, (s) => {
          status = s;
        })
        .then((ws) => {
          stdout.socket = ws as unknown as Pausable;
          stdout.socket.on('close', () => {
            // tar names a file that vanished and carries on with the rest; the collector marks it changed.
            if (status?.status === 'Success' || status?.reason === 'NonZeroExitCode') return resolve();
            const detail = status?.message ?? Buffer.concat(stderr).toString('utf8').trim();
            reject(new Error(`could not read the sandbox's artifacts${detail ? `: ${detail}` : ''}`));
          });
        })
        .catch(reject);
    });
  }

  /** A one-off delivery is an attach opened for this job alone. */
  deliver(
    ...[namespace, podName, jobLine, signal, onAttached]: DeliverArguments
  ): Promise<ParsedReport | null> {
    const session = this.open(namespace, podName);
    if (onAttached)
      session.opened.then(
        () => session.alive && onAttached(),
        () => undefined,
      );
    return session.deliver(jobLine, signal);
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
