import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadControllerConfig } from '../../../src/config/controller.ts';
import { ConfigError } from '../../../src/config/env.ts';

function errorOf(env: Record<string, string>): string {
  try {
    loadControllerConfig(env);
  } catch (err) {
    assert.instance(err, ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

test('defaults give a gVisor, strict-policy controller watching all namespaces', () => {
  const c = loadControllerConfig({});
  assert.is(c.runtimeClassName, 'gvisor');
  assert.equal(c.policy, {
    profile: 'strict',
    workers: 2,
    budgetMs: 2000,
    heapMb: 128,
    extraModules: { python: [], javascript: [] },
  });
  assert.equal(c.namespaces, []);
  assert.is(c.defaultTimeoutSeconds, 10);
  assert.is(c.defaultMemoryBytes, 256 * 2 ** 20);
  assert.is(c.leaderElection.enabled, true);
});

test("RAGFlow's SANDBOX_TIMEOUT accepts a bare number or a unit", () => {
  assert.is(loadControllerConfig({ SANDBOX_TIMEOUT: '10' }).defaultTimeoutSeconds, 10);
  assert.is(loadControllerConfig({ SANDBOX_TIMEOUT: '10s' }).defaultTimeoutSeconds, 10);
  assert.is(loadControllerConfig({ SANDBOX_TIMEOUT: '2m' }).defaultTimeoutSeconds, 120);
});

test("RAGFlow's Docker-style SANDBOX_MAX_MEMORY (256m) means MiB, as does 256Mi", () => {
  assert.is(loadControllerConfig({ SANDBOX_MAX_MEMORY: '256m' }).defaultMemoryBytes, 256 * 2 ** 20);
  assert.is(loadControllerConfig({ SANDBOX_MAX_MEMORY: '1g' }).defaultMemoryBytes, 2 ** 30);
  assert.is(loadControllerConfig({ SANDBOX_MAX_MEMORY: '300Mi' }).defaultMemoryBytes, 300 * 2 ** 20);
});

test('a bad value names the variable, the value and the accepted form', () => {
  const message = errorOf({ SANDBOX_TIMEOUT: 'soon' });
  assert.match(message, 'SANDBOX_TIMEOUT="soon"');
  assert.match(message, 'e.g. 30 or 30s');
});

test('every bad variable is reported at once', () => {
  const message = errorOf({ SANDBOX_MAX_MEMORY: 'lots', CODERUN_LEADER_ELECTION: 'maybe' });
  assert.match(message, 'SANDBOX_MAX_MEMORY');
  assert.match(message, 'CODERUN_LEADER_ELECTION');
});

test('an enumerated variable lists the accepted values', () => {
  assert.match(errorOf({ CODERUN_POLICY: 'lax' }), 'expected one of strict|compat|off');
  assert.match(errorOf({ CODERUN_IMAGE_PULL_POLICY: 'Sometimes' }), 'Always|IfNotPresent|Never');
});

test('a default above its maximum is refused', () => {
  assert.match(
    errorOf({ SANDBOX_TIMEOUT: '600', CODERUN_MAX_TIMEOUT: '300' }),
    'exceeds CODERUN_MAX_TIMEOUT',
  );
});

test('namespaces are a comma-separated list', () => {
  assert.equal(loadControllerConfig({ CODERUN_NAMESPACES: 'a, b,,c' }).namespaces, ['a', 'b', 'c']);
});

test('the policy pool settings are read and checked like every other variable', () => {
  const c = loadControllerConfig({
    CODERUN_POLICY_WORKERS: '4',
    CODERUN_POLICY_BUDGET_MS: '500',
    CODERUN_POLICY_HEAP_MB: '64',
  });
  assert.equal(c.policy, {
    profile: 'strict',
    workers: 4,
    budgetMs: 500,
    heapMb: 64,
    extraModules: { python: [], javascript: [] },
  });
  assert.match(errorOf({ CODERUN_POLICY_WORKERS: '0' }), 'CODERUN_POLICY_WORKERS');
  assert.match(errorOf({ CODERUN_POLICY: 'lenient' }), 'CODERUN_POLICY');
});

test('the health and metrics server listens on 0.0.0.0:8081, and the watch may be down 120 s, unless told otherwise', () => {
  const c = loadControllerConfig({});
  assert.equal(c.http, { host: '0.0.0.0', port: 8081 });
  assert.is(c.watchLivenessSeconds, 120);
});

test('the server address takes any host and port 0 (a free one); the watch liveness takes a duration', () => {
  const set = loadControllerConfig({
    CODERUN_CONTROLLER_HOST: '::',
    CODERUN_CONTROLLER_PORT: '0',
    CODERUN_WATCH_LIVENESS: '5m',
  });
  assert.equal([set.http, set.watchLivenessSeconds], [{ host: '::', port: 0 }, 300]);
});

test('a port out of range or a watch liveness without a unit is an error naming the variable and value', () => {
  assert.match(errorOf({ CODERUN_CONTROLLER_PORT: '70000' }), 'CODERUN_CONTROLLER_PORT="70000"');
  assert.match(errorOf({ CODERUN_WATCH_LIVENESS: '5' }), 'CODERUN_WATCH_LIVENESS="5"');
});

test('the isolation self-test runs by default, hourly, in the first served namespace, published in coderun-self-test', () => {
  const c = loadControllerConfig({ CODERUN_NAMESPACES: 'sandbox', POD_NAMESPACE: 'coderun' });
  assert.equal(c.selfTest, {
    enabled: true,
    intervalSeconds: 3600,
    namespace: 'sandbox',
    configMap: { namespace: 'coderun', name: 'coderun-self-test' },
  });
  assert.is(loadControllerConfig({ POD_NAMESPACE: 'coderun' }).selfTest.namespace, 'coderun');
  const off = loadControllerConfig({ CODERUN_SELF_TEST: 'false', CODERUN_SELF_TEST_INTERVAL: '0' });
  assert.equal([off.selfTest.enabled, off.selfTest.intervalSeconds], [false, 0]);
  assert.is(loadControllerConfig({ CODERUN_SELF_TEST_INTERVAL: '15m' }).selfTest.intervalSeconds, 900);
});

test('a self-test interval under a minute, or a probe namespace the controller does not serve, is refused', () => {
  assert.match(errorOf({ CODERUN_SELF_TEST_INTERVAL: '30' }), 'CODERUN_SELF_TEST_INTERVAL=30');
  assert.match(
    errorOf({ CODERUN_NAMESPACES: 'sandbox', CODERUN_SELF_TEST_NAMESPACE: 'elsewhere' }),
    'CODERUN_SELF_TEST_NAMESPACE="elsewhere": not one of CODERUN_NAMESPACES (sandbox)',
  );
});

test.run();
