// Runs the controller behind leader election: only the Lease holder reconciles; the others wait.
import type { Logger } from 'pino';
import type { ControllerConfig } from '../config/controller.ts';
import type { KubeClients } from '../kube/client.ts';
import { LeaderElector } from '../kube/leader-election.ts';
import type { AsyncCodePolicy } from '../policy/types.ts';
import { CodeRunController } from './controller.ts';
import type { ControllerState } from './health.ts';
import type { ControllerMetrics } from './metrics.ts';
import type { SandboxChannel } from './sandbox-channel.ts';

export interface RunningController {
  readonly isLeader: boolean;
  controller: CodeRunController;
  metrics: ControllerMetrics;
  /** A snapshot for /healthz and /readyz. */
  state(): ControllerState;
  /** Stops reconciling and releases the Lease. */
  stop(): Promise<void>;
}

export interface StartOptions {
  kube: KubeClients;
  config: ControllerConfig;
  policy: AsyncCodePolicy;
  channel: SandboxChannel;
  log: Logger;
  /** Called when leadership is lost; the process should exit so it restarts clean. */
  onLostLeadership: () => void;
}

export function startController(opts: StartOptions): RunningController {
  const controller = new CodeRunController(opts);
  const { metrics } = controller;
  const le = opts.config.leaderElection;
  const stateOf = (leading: boolean): ControllerState => ({
    role: leading ? 'leader' : 'standby',
    started: controller.isStarted,
    informers: controller.informerHealth(),
  });
  if (!le.enabled) {
    metrics.observe({ isLeader: () => true });
    void controller.start();
    return {
      isLeader: true,
      controller,
      metrics,
      state: () => stateOf(true),
      stop: () => controller.stop(),
    };
  }
  const elector = new LeaderElector(
    opts.kube,
    {
      name: le.leaseName,
      namespace: le.leaseNamespace,
      identity: le.identity,
      leaseDurationSeconds: le.leaseDurationSeconds,
      renewDeadlineSeconds: le.renewDeadlineSeconds,
      retryPeriodSeconds: le.retryPeriodSeconds,
    },
    opts.log,
  );
  metrics.observe({ isLeader: () => elector.isLeader });
  elector.run({
    onStartedLeading: () => controller.start(),
    onStoppedLeading: () => {
      void controller.stop();
      opts.onLostLeadership();
    },
  });
  return {
    get isLeader() {
      return elector.isLeader;
    },
    controller,
    metrics,
    state: () => stateOf(elector.isLeader),
    stop: async () => {
      await controller.stop();
      await elector.stop();
    },
  };
}
