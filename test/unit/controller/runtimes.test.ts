// What the controller takes from a run's runtime: the image, the program file and the size of its sandbox;
// and what happens to a run whose runtime is not (or no longer) registered.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SandboxPool } from '../../../src/coderun/sandbox-pool.ts';
import type { SandboxRuntime } from '../../../src/coderun/sandbox-runtime.ts';
import { decide, type Step } from '../../../src/controller/reconcile.ts';
import { buildPoolPod, buildSandboxPod, LABELS } from '../../../src/controller/sandbox-pod.ts';
import { claimCandidates, poolShape } from '../../../src/controller/warm-pool.ts';
import { builtinRuntimes, RuntimeSet, runtimeFrom } from '../../../src/runtimes/catalog.ts';
import { makePod, makeRun, NOW, observe, testConfig } from '../../fixtures.ts';

const config = testConfig({ CODERUN_DEFAULT_CPU: '1', CODERUN_MAX_CPU: '2', CODERUN_MAX_MEMORY: '2Gi' });

const rubyResource: SandboxRuntime = {
  apiVersion: 'coderun.dev/v1alpha1',
  kind: 'SandboxRuntime',
  metadata: { name: 'ruby' },
  spec: {
    aliases: ['rb'],
    image: 'example/ruby:3.3',
    programFile: 'main.rb',
    policy: 'none',
    resources: { default: { cpu: '250m', memory: '128Mi' }, max: { cpu: '4', memory: '512Mi' } },
  },
};
const ruby = runtimeFrom(rubyResource);
const runtimes = RuntimeSet.of([rubyResource], builtinRuntimes(config.images));

function statusOf(steps: Step[]) {
  const write = steps.find((s) => s.do === 'writeStatus');
  if (write?.do !== 'writeStatus') throw new Error('no status written');
  return { status: write.status, event: write.event };
}

test("a run's sandbox Pod has its runtime's image, name, program file and language label", () => {
  const pod = buildSandboxPod(makeRun({ language: 'ruby' }), ruby, config);
  const container = pod.spec?.containers[0];
  assert.is(container?.image, 'example/ruby:3.3');
  assert.equal(
    container?.env?.find((e) => e.name === 'CODERUN_PROGRAM_FILE'),
    { name: 'CODERUN_PROGRAM_FILE', value: 'main.rb' },
  );
  assert.equal(
    container?.env?.find((e) => e.name === 'CODERUN_RUNTIME'),
    { name: 'CODERUN_RUNTIME', value: 'ruby' },
  );
  assert.is(pod.metadata?.labels?.[LABELS.language], 'ruby');
});

test("a run that asks for nothing gets its runtime's defaults", () => {
  const plain = buildSandboxPod(makeRun({ language: 'ruby' }), ruby, config).spec?.containers[0];
  assert.equal([plain?.resources?.limits?.cpu, plain?.resources?.limits?.memory], ['250m', '128Mi']);
});

test("a run that asks for more than the runtime's maximum is clamped to it, and to the operator's", () => {
  const big = buildSandboxPod(
    makeRun({ language: 'ruby', resources: { cpu: '3', memory: '1Gi' } }),
    ruby,
    config,
  ).spec?.containers[0];
  // 4 CPUs is the runtime's maximum, but the operator's (2) bounds every runtime.
  assert.equal([big?.resources?.limits?.cpu, big?.resources?.limits?.memory], ['2', '512Mi']);
});

test('a run reconciled under an alias gets the Pod of the runtime it names', () => {
  const steps = decide(observe({ run: makeRun({ language: 'rb' }), runtimes }), { config });
  const create = steps.find((s) => s.do === 'createPod');
  assert.is(
    create?.do === 'createPod' ? create.pod.spec?.containers[0]?.image : undefined,
    'example/ruby:3.3',
  );
});

test('a run whose language names no runtime fails as RuntimeNotFound, listing the registered ones, and creates nothing', () => {
  const steps = decide(observe({ run: makeRun({ language: 'python' }), runtimes }), { config });
  assert.equal(
    steps.map((s) => s.do),
    ['writeStatus'],
  );
  const { status, event } = statusOf(steps);
  const message = 'spec.language: no SandboxRuntime named "python"; registered: ruby';
  assert.equal([status.phase, status.reason, status.message], ['Failed', 'RuntimeNotFound', message]);
  assert.equal(
    status.conditions?.map((c) => [c.type, c.status, c.reason]),
    [
      ['Accepted', 'False', 'RuntimeNotFound'],
      ['Failed', 'True', 'RuntimeNotFound'],
    ],
  );
  assert.equal(event, { type: 'Warning', reason: 'RuntimeNotFound', message });
});

test('a run whose runtime is deleted after its Pod was made runs on: the Pod has all it needs', () => {
  const run = makeRun({}, { phase: 'Running', reason: 'Started', podName: 'hello-sandbox', sandbox: 'cold' });
  const pod = makePod(run, { state: { running: { startedAt: NOW } } });
  const steps = decide(observe({ run, pod, runtimes: new RuntimeSet([]) }), { config });
  assert.not.ok(steps.some((s) => s.do === 'writeStatus' && s.status.reason === 'RuntimeNotFound'));
  assert.ok(steps.some((s) => s.do === 'deliverJob'));
});

test("a pool of a registered runtime serves that runtime's runs, named by alias or name", () => {
  const pool: SandboxPool = {
    apiVersion: 'coderun.dev/v1alpha1',
    kind: 'SandboxPool',
    metadata: { name: 'ruby', namespace: 'sandbox', uid: 'pool-ruby', generation: 1 },
    spec: { language: 'rb', replicas: 1, maxIdleSeconds: 3600 },
  };
  const pod = buildPoolPod(pool, poolShape(pool, ruby, config), config);
  pod.metadata = { ...pod.metadata, name: 'ruby-1', creationTimestamp: NOW };
  pod.status = {
    phase: 'Running',
    containerStatuses: [
      { name: 'runner', image: '', imageID: '', ready: true, restartCount: 0, state: { running: {} } },
    ],
  };
  assert.is(pod.metadata.labels?.[LABELS.language], 'ruby');
  const names = (language: string) =>
    claimCandidates(makeRun({ language }), [pool], [pod], config, runtimes).map((p) => p.metadata?.name);
  assert.equal(names('ruby'), ['ruby-1']);
  assert.equal(names('rb'), ['ruby-1']);
  assert.equal(names('python'), []);
});

test.run();
