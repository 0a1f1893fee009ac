// Runs the controller behind leader election: only the Lease holder reconciles; the others wait.
import type { Logger } from 'pino';
import type { ControllerConfig } from '../config/controller.ts';
import type { KubeClients } from '../kube/client.ts';
import { LeaderElector } from '../kube/leader-election.ts';
import type { AsyncCodePolicy } from '../policy/types.ts';
import { CodeRunController } from './controller.ts';
import type { ControllerState } from './health.ts';
import { IsolationSelfTest } from './isolation-self-test.ts';
import type { ControllerMetrics } from './metrics.ts';
import type { SandboxChannel } from './sandbox-channel.ts';

export interface RunningController {
  readonly isLeader: boolean;
  controller: CodeRunController;
  metrics: ControllerMetrics;
  /** The isolation self-test, run once this replica leads; null when CODERUN_SELF_TEST is off. */
  selfTest: IsolationSelfTest | null;
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
  /** How often the self-test's ConfigMap is read for a request (10 s); tests shorten it. */
  selfTestRequestPollMs?: number;
}

export function startController(opts: StartOptions): RunningController {
  const controller = new CodeRunController(opts);
  const { metrics } = controller;
  const le = opts.config.leaderElection;
  const selfTest = opts.config.selfTest.enabled
    ? new IsolationSelfTest({
        ...opts,
        registry: metrics.registry,
        requestPollMs: opts.selfTestRequestPollMs,
      })
    : null;
  // The probe is an ordinary run: it needs the informers of a started controller.
  const startLeading = () => controller.start().then(() => selfTest?.start());
  const stopLeading = async () => {
    await selfTest?.stop();
    await controller.stop();
  };
  const stateOf = (leading: boolean): ControllerState => ({
    role: leading ? 'leader' : 'standby',
    started: controller.isStarted,
    informers: controller.informerHealth(),
  });
  if (!le.enabled) {
    metrics.observe({ isLeader: () => true });
    void startLeading();
    return {
      isLeader: true,
      controller,
      metrics,
      selfTest,
      state: () => stateOf(true),
      stop: stopLeading,
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
    onStartedLeading: startLeading,
    onStoppedLeading: () => {
      void stopLeading();
      opts.onLostLeadership();
    },
  });
  return {
    get isLeader() {
      return elector.isLeader;
    },
    controller,
    metrics,
    selfTest,
    state: () => stateOf(elector.isLeader),
    stop: async () => {
      await stopLeading();
      await elector.stop();
    },
  };
}
