// Builders for test objects: a valid default with the fields each test overrides.
import type { V1ContainerState, V1Pod } from '@kubernetes/client-node';
import {
  API_VERSION,
  type CodeRun,
  type CodeRunSpec,
  type CodeRunStatus,
  KIND,
} from '../src/coderun/schema.ts';
import { type ControllerConfig, loadControllerConfig } from '../src/config/controller.ts';
import type { Observation } from '../src/controller/reconcile.ts';
import { buildSandboxPod } from '../src/controller/sandbox-pod.ts';
import { createLogger } from '../src/log.ts';
import { startPolicy } from '../src/policy/index.ts';
import type { AsyncCodePolicy } from '../src/policy/types.ts';
import { builtinRuntimes, type Runtime, RuntimeSet } from '../src/runtimes/catalog.ts';
import type { RunnerReport } from '../src/runtimes/protocol.ts';

/** The strict policy as the API and controller run it (a worker pool); workers are unref'd, so tests may exit. */
export function testPolicy(): AsyncCodePolicy {
  return startPolicy(
    { profile: 'strict', workers: 1, budgetMs: 5000, heapMb: 256 },
    createLogger('silent', 'test'),
  ).check;
}

export const NOW = new Date('2026-11-21T12:00:00Z');

/** The controller's configuration for tests; the isolation self-test is off unless a test turns it on. */
export function testConfig(env: Record<string, string> = {}): ControllerConfig {
  return loadControllerConfig({ HOSTNAME: 'test', CODERUN_SELF_TEST: 'false', ...env });
}

/** The built-in runtimes (python, nodejs) with the images of `config`. */
export function testRuntimes(config: ControllerConfig = testConfig()): RuntimeSet {
  return new RuntimeSet(builtinRuntimes(config.images));
}

/** One built-in runtime, by name or alias, with the images of `config`. */
export function runtimeNamed(name: string, config: ControllerConfig = testConfig()): Runtime {
  const runtime = testRuntimes(config).resolve(name);
  if (!runtime) throw new Error(`no test runtime ${name}`);
  return runtime;
}

/** The run's sandbox Pod as the controller builds it with `config` and the built-in runtimes. */
export function sandboxPodOf(run: CodeRun, config: ControllerConfig = testConfig()): V1Pod {
  return buildSandboxPod(run, runtimeNamed(run.spec.language, config), config);
}

export function makeRun(spec: Partial<CodeRunSpec> = {}, status?: CodeRunStatus, name = 'hello'): CodeRun {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name,
      namespace: 'sandbox',
      uid: `uid-${name}`,
      generation: 1,
      resourceVersion: '1',
      creationTimestamp: NOW.toISOString(),
    },
    spec: { language: 'python', source: 'def main():\n  return 1\n', arguments: {}, ...spec },
    ...(status ? { status } : {}),
  };
}

/** The run's sandbox Pod, as the controller builds it, with the given container state and Pod status fields. */
export function makePod(
  run: CodeRun,
  opts: { state?: V1ContainerState; createdSecondsAgo?: number; status?: V1Pod['status'] } = {},
): V1Pod {
  const pod = sandboxPodOf(run);
  pod.metadata = {
    ...pod.metadata,
    uid: `pod-${run.metadata.uid}`,
    creationTimestamp: new Date(NOW.getTime() - (opts.createdSecondsAgo ?? 1) * 1000),
  };
  pod.status = {
    phase: opts.state?.running
      ? 'Running'
      : opts.state?.terminated
        ? opts.state.terminated.exitCode === 0
          ? 'Succeeded'
          : 'Failed'
        : 'Pending',
    ...(opts.state
      ? {
          containerStatuses: [
            { name: 'runner', image: 'img', imageID: '', ready: false, restartCount: 0, state: opts.state },
          ],
        }
      : {}),
    ...opts.status,
  };
  return pod;
}

export function makeReport(fields: Partial<RunnerReport> = {}): RunnerReport {
  return {
    v: 1,
    exitCode: 0,
    signal: null,
    timedOut: false,
    durationMs: 12,
    stdout: 'hi\n',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    result: { present: true, value: { answer: 42 } },
    memoryKb: 20_480,
    ...fields,
  };
}

/** Every field of RAGFlow's /run response, sorted: the contract says each is always present. */
export const RAGFLOW_FIELDS = [
  'status',
  'stdout',
  'stderr',
  'exit_code',
  'detail',
  'time_used_ms',
  'memory_used_kb',
  'resource_limit_type',
  'unauthorized_access_type',
  'runtime_error_type',
  'artifacts',
  'result',
].sort();

/** What the controller observes about a new run with no Pod yet and an allowing policy; tests override parts. */
export function observe(partial: Partial<Observation>): Observation {
  return {
    run: makeRun(),
    runtimes: testRuntimes(),
    pod: null,
    stalePod: false,
    report: { source: 'none' },
    sessionActive: false,
    verdict: { allowed: true, findings: [] },
    warmPod: undefined,
    artifacts: { state: 'none' },
    now: NOW,
    ...partial,
  };
}
