// client-node's Watch, keeping count of whether a watch is open and how long none has been: what the
// API's run watch and the controller's informers report to their health checks.
import { type KubeConfig, Watch } from '@kubernetes/client-node';

export class TrackedWatch implements Pick<Watch, 'watch'> {
  private readonly inner: Watch;
  private readonly now: () => number;
  private openedAt: number | undefined;
  private lastOpenAt: number;
  /** How long the watch that ended last had been open (0 if it never opened). */
  lastOpenForMs = 0;

  constructor(kubeConfig: KubeConfig, now: () => number = Date.now) {
    this.inner = new Watch(kubeConfig);
    this.now = now;
    this.lastOpenAt = now();
  }

  /** A watch is open now. */
  get watching(): boolean {
    return this.openedAt !== undefined;
  }

  /** Milliseconds since a watch was last open (since construction or `resetDownClock` if none has); 0 while one is. */
  get downForMs(): number {
    return this.openedAt !== undefined ? 0 : this.now() - this.lastOpenAt;
  }

  /** Starts the "down for" clock afresh when nothing is open, e.g. when a standby starts to lead. */
  resetDownClock(): void {
    if (this.openedAt === undefined) this.lastOpenAt = this.now();
  }

  // client-node resolves even when the request failed, having called `done` first; so a watch counts as
  // open only if it resolved without having ended.
  async watch(...args: Parameters<Watch['watch']>): ReturnType<Watch['watch']> {
    const [path, params, callback, done] = args;
    let ended = false;
    const request = await this.inner.watch(path, params, callback, (err) => {
      ended = true;
      this.lastOpenForMs = this.openedAt === undefined ? 0 : this.now() - this.openedAt;
      if (this.openedAt !== undefined) this.lastOpenAt = this.now();
      this.openedAt = undefined;
      done(err);
    });
    if (!ended) this.openedAt = this.now();
    return request;
  }
}
