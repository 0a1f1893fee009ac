// The cluster's SandboxRuntimes through one informer (list + watch), as a RuntimeSet that is rebuilt when
// one changes. The API validates requests and picks the policy with it; the controller builds Pods with it.
import type { Logger } from 'pino';
import { RUNTIME_PLURAL, type SandboxRuntime } from '../coderun/sandbox-runtime.ts';
import { GROUP, VERSION } from '../coderun/schema.ts';
import type { KubeClients } from '../kube/client.ts';
import { type ResilientInformer, resilientInformer } from '../kube/informer.ts';
import { type Runtime, RuntimeSet, type RuntimeSource } from './catalog.ts';

export class RuntimeCache implements RuntimeSource {
  readonly informer: ResilientInformer<SandboxRuntime>;
  private readonly builtins: readonly Runtime[];
  private set: RuntimeSet | undefined;

  constructor(opts: {
    kube: KubeClients;
    builtins: readonly Runtime[];
    log: Logger;
    /** Told after the set changed (the controller looks at its runs and pools again). */
    onChange?: (runtime: SandboxRuntime) => void;
  }) {
    this.builtins = opts.builtins;
    this.informer = resilientInformer<SandboxRuntime>({
      kubeConfig: opts.kube.kubeConfig,
      path: `/apis/${GROUP}/${VERSION}/${RUNTIME_PLURAL}`,
      list: async () =>
        (await opts.kube.custom.listClusterCustomObject({
          group: GROUP,
          version: VERSION,
          plural: RUNTIME_PLURAL,
        })) as { items: SandboxRuntime[] },
      onChange: (runtime) => {
        this.set = undefined;
        opts.onChange?.(runtime);
      },
      log: opts.log,
      what: 'sandbox runtimes',
    });
  }

  /** The runtimes in force: the registered ones, or the built-ins while none is registered (or not listed yet). */
  current(): RuntimeSet {
    this.set ??= RuntimeSet.of(this.informer.list(), this.builtins);
    return this.set;
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }
}
