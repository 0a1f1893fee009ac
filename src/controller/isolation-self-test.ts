// Runs the isolation self-test (self-test.ts) on the leader: at start-up, every CODERUN_SELF_TEST_INTERVAL
// seconds and when someone annotates the status ConfigMap. Each time it creates one probe CodeRun, which the
// controller runs like any other, waits for its end, judges it and publishes the verdict three ways: the
// ConfigMap (a condition the API's readiness may require), an Event on the probe run, and metrics.
import { randomBytes } from 'node:crypto';
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { CodeRunClient } from '../coderun/client.ts';
import { type CodeRun, isTerminal } from '../coderun/schema.ts';
import { SELF_TEST_REQUEST_ANNOTATION, selfTestData } from '../coderun/self-test-status.ts';
import type { ControllerConfig } from '../config/controller.ts';
import { apiErrorMessage, isConflict, isNotFound, type KubeClients } from '../kube/client.ts';
import { EventRecorder, involvedObjectOf } from '../kube/events.ts';
import { createPatiently } from '../kube/patient-create.ts';
import {
  apiServerTarget,
  judgeProbe,
  probeSpec,
  SELF_TEST_LABEL,
  SELF_TEST_LABEL_VALUE,
  type SelfTestVerdict,
  unfinishedVerdict,
} from './self-test.ts';

export interface SelfTestDeps {
  kube: KubeClients;
  config: ControllerConfig;
  /** The controller's metrics registry; the self-test's gauges appear there after the first verdict. */
  registry: Registry;
  log: Logger;
  /** How often the ConfigMap is read for a request annotation. */
  requestPollMs?: number;
}

export interface PublishedVerdict {
  verdict: SelfTestVerdict;
  /** namespace/name of the probe run, when one was created. */
  probeRun: string | null;
  at: Date;
}

const POLL_RUN_MS = 1000;
const SLACK_SECONDS = 30;
/** How long the probe run's create waits out a quota not counted yet (up to ~2 min after install, on kind). */
const CREATE_PATIENCE_MS = 300_000;

export class IsolationSelfTest {
  private readonly deps: SelfTestDeps;
  private readonly runs: CodeRunClient;
  private readonly events: EventRecorder;
  private readonly log: Logger;
  private readonly gauges: { passed: Gauge; check: Gauge<'check'>; timestamp: Gauge };
  private registered = false;
  private running: Promise<void> | null = null;
  /** Another run asked for while one was in flight (with the request it answers, if any). */
  private again: { request: string | undefined } | null = null;
  /** The latest request annotation this process accepted, so a poll does not accept it twice. */
  private acceptedRequest: string | undefined;
  private timers: NodeJS.Timeout[] = [];
  private readonly abort = new AbortController();
  private latestVerdict: PublishedVerdict | undefined;

  constructor(deps: SelfTestDeps) {
    this.deps = deps;
    this.runs = new CodeRunClient(deps.kube);
    this.events = new EventRecorder(deps.kube, 'coderun-controller', deps.log);
    this.log = deps.log.child({ component: 'self-test' });
    // Registered with the first verdict: before it, "absent" says "not known yet", where 0 would say "failed".
    this.gauges = {
      passed: new Gauge({
        name: 'coderun_isolation_self_test_passed',
        help: "1 when the latest isolation self-test passed (gVisor kernel, seccomp enforced, no network, no service-account token, non-root, no capabilities), 0 when it failed; only the leader's.",
        registers: [],
      }),
      check: new Gauge({
        name: 'coderun_isolation_self_test_check_passed',
        help: 'Each check of the latest isolation self-test that ran to the end: 1 passed, 0 failed.',
        labelNames: ['check'] as const,
        registers: [],
      }),
      timestamp: new Gauge({
        name: 'coderun_isolation_self_test_timestamp_seconds',
        help: 'When the latest isolation self-test verdict was published (Unix time).',
        registers: [],
      }),
    };
  }

  /** The latest verdict this process published. */
  get latest(): PublishedVerdict | undefined {
    return this.latestVerdict;
  }

  /** Runs the self-test now (answering a request made while no controller led), then on its schedule. */
  start(): void {
    const { intervalSeconds } = this.deps.config.selfTest;
    void this.readRequest().then((request) => {
      if (this.abort.signal.aborted) return;
      this.acceptedRequest = request;
      this.trigger(request);
    });
    if (intervalSeconds > 0) this.every(intervalSeconds * 1000, () => this.trigger(undefined));
    this.every(this.deps.requestPollMs ?? 10_000, () => void this.pollRequest());
  }

  async stop(): Promise<void> {
    this.abort.abort();
    for (const timer of this.timers) clearInterval(timer);
    this.again = null;
    await this.running;
  }

  /** Resolves when no self-test is running or queued. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Starts a self-test, or queues one behind the test in flight (any number of asks make one more). */
  trigger(request: string | undefined): void {
    if (this.abort.signal.aborted) return;
    if (this.running) {
      this.again = { request: request ?? this.again?.request };
      return;
    }
    this.running = this.cycle(request)
      .catch((err: unknown) => this.log.error({ err: apiErrorMessage(err) }, 'isolation self-test crashed'))
      .finally(() => {
        this.running = null;
        const next = this.again;
        this.again = null;
        if (next) this.trigger(next.request);
      });
  }

  private every(ms: number, tick: () => void): void {
    const timer = setInterval(tick, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private async cycle(request: string | undefined): Promise<void> {
    const { verdict, run } = await this.probe();
    if (this.abort.signal.aborted) return;
    await this.publish(verdict, run, request);
  }

  private async probe(): Promise<{ verdict: SelfTestVerdict; run: CodeRun | null }> {
    const { config, kube } = this.deps;
    const namespace = config.selfTest.namespace;
    const name = `self-test-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const target = apiServerTarget(kube.kubeConfig.getCurrentCluster()?.server);
    let run: CodeRun;
    try {
      // At a release's first start the sandbox namespace's quota is often not counted yet: waited out.
      run = await createPatiently(
        () =>
          this.runs.create({
            namespace,
            name,
            labels: { [SELF_TEST_LABEL]: SELF_TEST_LABEL_VALUE },
            spec: probeSpec(target ? [target] : []),
          }),
        {
          maxWaitMs: CREATE_PATIENCE_MS,
          signal: this.abort.signal,
          onWait: (err, delayMs) =>
            this.log.info({ err: apiErrorMessage(err), delayMs }, 'probe run refused for now; trying again'),
        },
      );
    } catch (err) {
      return {
        verdict: unfinishedVerdict(`could not create the probe run in ${namespace}: ${apiErrorMessage(err)}`),
        run: null,
      };
    }
    this.log.info({ run: `${namespace}/${name}` }, 'isolation self-test started');
    const spec = run.spec;
    const budgetSeconds =
      config.startTimeoutSeconds +
      Math.min(spec.timeoutSeconds ?? config.defaultTimeoutSeconds, config.maxTimeoutSeconds) +
      config.deadlineGraceSeconds +
      SLACK_SECONDS;
    const deadline = Date.now() + budgetSeconds * 1000;
    while (!isTerminal(run.status)) {
      if (this.abort.signal.aborted) return { verdict: unfinishedVerdict('the controller stopped'), run };
      if (Date.now() > deadline) {
        const phase = run.status?.phase ?? 'no status';
        return {
          verdict: unfinishedVerdict(
            `the probe run ${namespace}/${name} did not finish within ${budgetSeconds} s (${phase}${run.status?.message ? `: ${run.status.message}` : ''})`,
          ),
          run,
        };
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_RUN_MS).unref());
      try {
        run = await this.runs.get(namespace, name);
      } catch (err) {
        if (isNotFound(err))
          return { verdict: unfinishedVerdict(`the probe run ${namespace}/${name} was deleted`), run: null };
        this.log.warn({ err: apiErrorMessage(err) }, 'cannot read the probe run; trying again');
      }
    }
    return { verdict: judgeProbe(run), run };
  }

  private async publish(verdict: SelfTestVerdict, run: CodeRun | null, request: string | undefined) {
    const at = new Date();
    const probeRun = run ? `${run.metadata.namespace}/${run.metadata.name}` : null;
    this.latestVerdict = { verdict, probeRun, at };
    this.setMetrics(verdict, at);
    if (verdict.passed) this.log.info({ run: probeRun }, verdict.message);
    else this.log.error({ run: probeRun, reason: verdict.reason }, verdict.message);
    if (run)
      await this.events.record(
        involvedObjectOf(run),
        verdict.passed ? 'Normal' : 'Warning',
        verdict.passed ? 'IsolationSelfTestPassed' : 'IsolationSelfTestFailed',
        verdict.message,
      );
    try {
      await this.writeConfigMap(verdict, probeRun ?? '', at, request);
    } catch (err) {
      this.log.error(
        { err: apiErrorMessage(err), configMap: this.configMapRef() },
        'cannot publish the isolation self-test result in its ConfigMap',
      );
    }
  }

  private setMetrics(verdict: SelfTestVerdict, at: Date): void {
    const { passed, check, timestamp } = this.gauges;
    if (!this.registered) {
      for (const gauge of [passed, check, timestamp]) this.deps.registry.registerMetric(gauge);
      this.registered = true;
    }
    passed.set(verdict.passed ? 1 : 0);
    check.reset();
    for (const c of verdict.checks) check.set({ check: c.name }, c.passed ? 1 : 0);
    timestamp.set(at.getTime() / 1000);
  }

  private configMapRef(): string {
    const { namespace, name } = this.deps.config.selfTest.configMap;
    return `${namespace}/${name}`;
  }

  private async readConfigMap(): Promise<V1ConfigMap | null> {
    const { namespace, name } = this.deps.config.selfTest.configMap;
    try {
      return await this.deps.kube.core.readNamespacedConfigMap({ namespace, name });
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  private async writeConfigMap(verdict: SelfTestVerdict, probeRun: string, now: Date, request?: string) {
    const { namespace, name } = this.deps.config.selfTest.configMap;
    for (let attempt = 1; ; attempt++) {
      const current = await this.readConfigMap();
      const data = selfTestData(current?.data, verdict, { probeRun, now, handledRequest: request });
      try {
        if (!current) {
          await this.deps.kube.core.createNamespacedConfigMap({
            namespace,
            body: {
              metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'coderun' } },
              data,
            },
          });
        } else {
          await this.deps.kube.core.replaceNamespacedConfigMap({
            namespace,
            name,
            body: { ...current, data },
          });
        }
        return;
      } catch (err) {
        // Someone annotated it, or created it, in between (409 either way): read it again.
        if (attempt < 3 && isConflict(err)) continue;
        throw err;
      }
    }
  }

  private async readRequest(): Promise<string | undefined> {
    try {
      return (await this.readConfigMap())?.metadata?.annotations?.[SELF_TEST_REQUEST_ANNOTATION];
    } catch (err) {
      this.log.warn({ err: apiErrorMessage(err) }, 'cannot read the self-test ConfigMap');
      return undefined;
    }
  }

  /** A request is a value of the annotation that no published result has answered yet. */
  private async pollRequest(): Promise<void> {
    let current: V1ConfigMap | null;
    try {
      current = await this.readConfigMap();
    } catch (err) {
      this.log.debug({ err: apiErrorMessage(err) }, 'cannot read the self-test ConfigMap');
      return;
    }
    const request = current?.metadata?.annotations?.[SELF_TEST_REQUEST_ANNOTATION];
    if (!request || request === current?.data?.handledRequest || request === this.acceptedRequest) return;
    this.acceptedRequest = request;
    this.log.info({ request }, 'isolation self-test requested');
    this.trigger(request);
  }
}
