// Leader election through a coordination.k8s.io/v1 Lease, with client-go's semantics: the holder renews every
// retry period; another candidate takes over only after the lease has gone unrenewed for its duration.
import { type V1Lease, V1MicroTime } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isConflict, isNotFound, type KubeClients } from './client.ts';

export interface LeaseSettings {
  name: string;
  namespace: string;
  identity: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
}

export type LeaseAction = 'create' | 'acquire' | 'renew' | 'wait';

/** What this candidate should do with the Lease as it is now. Pure. */
export function leaseAction(lease: V1Lease | null, identity: string, now: Date): LeaseAction {
  if (!lease) return 'create';
  const spec = lease.spec ?? {};
  if (spec.holderIdentity === identity) return 'renew';
  if (!spec.holderIdentity) return 'acquire';
  const renewed = spec.renewTime ?? spec.acquireTime;
  const duration = (spec.leaseDurationSeconds ?? 0) * 1000;
  if (!renewed || new Date(renewed).getTime() + duration <= now.getTime()) return 'acquire';
  return 'wait';
}

export function leaseSpecFor(
  lease: V1Lease | null,
  action: LeaseAction,
  settings: LeaseSettings,
  now: Date,
): V1Lease['spec'] {
  const micro = new V1MicroTime(now.getTime());
  const previous = lease?.spec ?? {};
  const transitions = previous.leaseTransitions ?? 0;
  return {
    holderIdentity: settings.identity,
    leaseDurationSeconds: settings.leaseDurationSeconds,
    acquireTime: action === 'renew' ? (previous.acquireTime ?? micro) : micro,
    renewTime: micro,
    leaseTransitions: action === 'acquire' ? transitions + 1 : transitions,
  };
}

export interface LeaderCallbacks {
  onStartedLeading: () => void | Promise<void>;
  onStoppedLeading: () => void;
}

export class LeaderElector {
  private readonly kube: KubeClients;
  private readonly settings: LeaseSettings;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private lastRenew = 0;
  private stopped = false;

  constructor(kube: KubeClients, settings: LeaseSettings, log: Logger) {
    this.kube = kube;
    this.settings = settings;
    this.log = log.child({ lease: `${settings.namespace}/${settings.name}`, identity: settings.identity });
  }

  get isLeader(): boolean {
    return this.leading;
  }

  run(callbacks: LeaderCallbacks): void {
    const tick = async () => {
      if (this.stopped) return;
      const ok = await this.tryAcquireOrRenew().catch((err: unknown) => {
        this.log.warn({ err: String(err) }, 'lease update failed');
        return false;
      });
      if (this.stopped) return;
      if (ok && !this.leading) {
        this.leading = true;
        this.log.info('became leader');
        await callbacks.onStartedLeading();
      } else if (this.leading && Date.now() - this.lastRenew > this.settings.renewDeadlineSeconds * 1000) {
        this.leading = false;
        this.log.error('could not renew the lease within the renew deadline; stepping down');
        callbacks.onStoppedLeading();
        return;
      }
      this.timer = setTimeout(tick, this.settings.retryPeriodSeconds * 1000);
    };
    void tick();
  }

  /** Stops campaigning; a leader releases the Lease so a standby can take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.read();
      if (lease?.spec?.holderIdentity === this.settings.identity) {
        lease.spec = { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1 };
        await this.kube.coordination.replaceNamespacedLease({
          name: this.settings.name,
          namespace: this.settings.namespace,
          body: lease,
        });
      }
    } catch (err) {
      this.log.warn({ err: String(err) }, 'could not release the lease');
    }
  }

  private async read(): Promise<V1Lease | null> {
    try {
      return await this.kube.coordination.readNamespacedLease({
        name: this.settings.name,
        namespace: this.settings.namespace,
      });
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /** One attempt; true when this candidate holds the Lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { name, namespace } = this.settings;
    const now = new Date();
    const lease = await this.read();
    const action = leaseAction(lease, this.settings.identity, now);
    if (action === 'wait') return false;
    const spec = leaseSpecFor(lease, action, this.settings, now);
    try {
      if (action === 'create') {
        await this.kube.coordination.createNamespacedLease({
          namespace,
          body: { metadata: { name, namespace }, spec },
        });
      } else {
        await this.kube.coordination.replaceNamespacedLease({ name, namespace, body: { ...lease, spec } });
      }
    } catch (err) {
      // Someone else wrote the Lease first: they won this round.
      if (isConflict(err)) return false;
      throw err;
    }
    this.lastRenew = now.getTime();
    return true;
  }
}
