// The pure warm-pool decisions: which Pods a run may claim, and how a pool converges.
import type { V1Pod } from '@kubernetes/client-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SandboxPool } from '../../../src/coderun/sandbox-pool.ts';
import { decide, RUNNING_WRITE_DELAY_MS } from '../../../src/controller/reconcile.ts';
import { markForResize, resizeTarget } from '../../../src/controller/resize.ts';
import {
  buildPoolPod,
  claimedPod,
  LABELS,
  READY_FILE,
  TEMPLATE_HASH_ANNOTATION,
} from '../../../src/controller/sandbox-pod.ts';
import {
  claimCandidates,
  LostClaims,
  pickCandidate,
  planPool,
  poolShape,
  preloadRank,
  pythonImports,
  reclaimed,
} from '../../../src/controller/warm-pool.ts';
import { makeReport, makeRun, NOW, observe, runtimeNamed, testConfig, testRuntimes } from '../../fixtures.ts';

const config = testConfig();
const START = config.startTimeoutSeconds;
/** The template hash a pool's Pods carry. */
const hashOf = (pool: SandboxPool) =>
  buildPoolPod(pool, poolShape(pool, runtimeNamed(pool.spec.language, config), config), config).metadata
    ?.annotations?.[TEMPLATE_HASH_ANNOTATION] ?? '';

function makePool(spec: Partial<SandboxPool['spec']> = {}, name = 'python'): SandboxPool {
  return {
    apiVersion: 'coderun.dev/v1alpha1',
    kind: 'SandboxPool',
    metadata: { name, namespace: 'sandbox', uid: `pool-${name}`, generation: 1 },
    spec: { language: 'python', replicas: 2, maxIdleSeconds: 3600, ...spec },
  };
}

let serial = 0;
/** A pool Pod as the pool builds it, `ageSeconds` old, running and ready unless told otherwise. */
function poolPod(
  pool: SandboxPool,
  opts: { ageSeconds?: number; phase?: string; ready?: boolean } = {},
): V1Pod {
  const pod = buildPoolPod(pool, poolShape(pool, runtimeNamed(pool.spec.language, config), config), config);
  pod.metadata = {
    ...pod.metadata,
    name: `${pool.metadata.name}-${++serial}`,
    resourceVersion: String(1000 + serial),
    creationTimestamp: new Date(NOW.getTime() - (opts.ageSeconds ?? 10) * 1000),
  };
  const phase = opts.phase ?? 'Running';
  pod.status = {
    phase,
    startTime: new Date(NOW.getTime() - (opts.ageSeconds ?? 10) * 1000),
    containerStatuses: [
      {
        name: 'runner',
        image: 'img',
        imageID: '',
        ready: opts.ready ?? phase === 'Running',
        restartCount: 0,
        state:
          phase === 'Running'
            ? { running: { startedAt: NOW } }
            : { waiting: { reason: 'ContainerCreating' } },
      },
    ],
  };
  return pod;
}

/** A pool Pod of the default pool beside the cold Pod a run of the same size gets. */
function poolAndColdPods() {
  const pool = makePool();
  const pod = buildPoolPod(pool, poolShape(pool, runtimeNamed(pool.spec.language, config), config), config);
  const cold = decide(observe({}), { config })[0];
  if (cold?.do !== 'createPod') throw new Error('expected a cold create');
  return { pod, cold: cold.pod };
}

test('a pool Pod is hardened exactly like a run Pod of the same size', () => {
  const { pod, cold } = poolAndColdPods();
  const {
    activeDeadlineSeconds: _a,
    containers: warmContainers,
    ...warmSpec
  } = pod.spec ?? { containers: [] };
  const {
    activeDeadlineSeconds: _b,
    containers: coldContainers,
    ...coldSpec
  } = cold.spec ?? {
    containers: [],
  };
  assert.equal(warmSpec, coldSpec);
  const { env: warmEnv, ...warmContainer } = warmContainers[0] ?? { name: '' };
  const { env: coldEnv, ...coldContainer } = coldContainers[0] ?? { name: '' };
  // Only the CPU request differs: an idle Pod asks the scheduler for 100m, its limit is the run's.
  assert.equal(warmContainer.resources?.limits, coldContainer.resources?.limits);
  assert.equal(warmContainer.resources?.requests, { ...coldContainer.resources?.requests, cpu: '100m' });
  assert.equal({ ...warmContainer, resources: undefined }, { ...coldContainer, resources: undefined });
  assert.equal(warmEnv?.slice(0, coldEnv?.length), coldEnv);
});

test('a pool Pod waits for its job longer than a run Pod', () => {
  const { pod } = poolAndColdPods();
  assert.equal(pod.spec?.containers[0]?.env?.at(-1), { name: 'CODERUN_JOB_WAIT_SECONDS', value: '3660' });
});

test('a pool Pod starts idle, owned by its SandboxPool', () => {
  const { pod } = poolAndColdPods();
  assert.is(pod.metadata?.labels?.[LABELS.state], 'idle');
  assert.is(pod.metadata?.ownerReferences?.[0]?.kind, 'SandboxPool');
});

test("an idle Pod never asks the scheduler for more CPU than a run's Pod does (CODERUN_CPU_REQUEST)", () => {
  const low = testConfig({ CODERUN_CPU_REQUEST: '50m' });
  const pool = makePool();
  assert.is(
    buildPoolPod(pool, poolShape(pool, runtimeNamed(pool.spec.language, low), low), low).spec?.containers[0]
      ?.resources?.requests?.cpu,
    '50m',
  );
  assert.is(
    buildPoolPod(pool, poolShape(pool, runtimeNamed(pool.spec.language, config), config), config).spec
      ?.containers[0]?.resources?.requests?.cpu,
    '100m',
  );
});

const poolContainer = (pool: ReturnType<typeof makePool>) =>
  buildPoolPod(pool, poolShape(pool, runtimeNamed(pool.spec.language, config), config), config).spec
    ?.containers[0];

test('a Python pool that preloads is Ready only once its runner has imported them (startup probe)', () => {
  const container = poolContainer(makePool({ preload: ['numpy', 'pandas'] }));
  assert.equal(
    container?.env?.filter((e) => e.name === 'CODERUN_PRELOAD' || e.name === 'CODERUN_READY_FILE'),
    [
      { name: 'CODERUN_PRELOAD', value: 'numpy,pandas' },
      { name: 'CODERUN_READY_FILE', value: READY_FILE },
    ],
  );
  assert.equal(container?.startupProbe?.exec?.command, ['/usr/bin/test', '-e', READY_FILE]);
  assert.is(container?.startupProbe?.periodSeconds, 1);
});

test('a pool without preload has no startup probe: there is nothing to wait for', () => {
  assert.is(poolContainer(makePool())?.startupProbe, undefined);
});

test('a Node.js pool never waits for a ready file: only the Python runner preloads', () => {
  const nodeContainer = poolContainer(makePool({ language: 'nodejs', preload: ['numpy'] }, 'node'));
  assert.is(nodeContainer?.startupProbe, undefined);
  assert.not.ok(nodeContainer?.env?.some((e) => e.name === 'CODERUN_READY_FILE'));
});

test('a preloading Pod whose startup probe has not passed is no candidate for a run', () => {
  // Until the probe passes the kubelet reports the container not ready, and no run claims the Pod.
  const pool = makePool({ preload: ['numpy', 'pandas'] });
  const starting = poolPod(pool, { ready: false });
  assert.equal(claimCandidates(makeRun(), [pool], [starting], config, testRuntimes(config)), []);
});

test('pythonImports reads the top-level modules of import and from-import lines', () => {
  const source = [
    'import os, sys as system',
    '  import numpy.linalg as la',
    'from matplotlib import pyplot as plt',
    'from .local import x',
    '# import commented_out? the hint reads it; a hint may be wrong',
    'def main():',
    '    import pandas',
    '    return "import nothing"',
  ].join('\n');
  assert.equal([...pythonImports(source)].sort(), ['matplotlib', 'numpy', 'os', 'pandas', 'sys'].sort());
});

/** The names of the candidates for a run of `source` among `pods`, of a plain pool and one preloading data libraries. */
function preloadPick() {
  const plain = makePool({ replicas: 2 }, 'python');
  const data = makePool({ replicas: 2, preload: ['numpy', 'pandas', 'matplotlib.pyplot'] }, 'python-data');
  const pools = [plain, data];
  const pick = (source: string, pods: V1Pod[]) =>
    claimCandidates(makeRun({ source }), pools, pods, config, testRuntimes(config)).map(
      (p) => p.metadata?.name,
    );
  return { pick, plainPod: poolPod(plain), dataPod: poolPod(data) };
}
const CHART = 'import matplotlib.pyplot as plt\ndef main():\n    return 1\n';

test('a program that imports what a pool preloads is served from that pool, any other from a plain one', () => {
  const { pick, plainPod, dataPod } = preloadPick();
  assert.equal(pick(CHART, [plainPod, dataPod]), [dataPod.metadata?.name]);
  assert.equal(pick('def main():\n    return 1\n', [plainPod, dataPod]), [plainPod.metadata?.name]);
});

test('either kind of pool serves a program when it is the only one left: the preference never makes a run start cold', () => {
  const { pick, plainPod, dataPod } = preloadPick();
  assert.equal(pick(CHART, [plainPod]), [plainPod.metadata?.name]);
  assert.equal(pick('def main():\n    return 1\n', [dataPod]), [dataPod.metadata?.name]);
});

test('preloadRank puts a pool preloading what the program imports first, a plain pool next, one preloading other modules last', () => {
  assert.equal([preloadRank([], new Set()), preloadRank(['pandas'], new Set(['pandas']))], [1, 0]);
  assert.is(preloadRank(['matplotlib.pyplot'], new Set(['os'])), 2);
});

test('a run claims only ready idle Pods of a pool with exactly its language and size', () => {
  const python = makePool();
  const big = makePool({ resources: { memory: '1Gi' } }, 'python-big');
  const node = makePool({ language: 'nodejs' }, 'node');
  const ready = poolPod(python);
  const starting = poolPod(python, { phase: 'Pending' });
  const pods = [ready, starting, poolPod(big), poolPod(node)];
  const candidates = claimCandidates(makeRun(), [python, big, node], pods, config, testRuntimes(config));
  assert.equal(
    candidates.map((p) => p.metadata?.name),
    [ready.metadata?.name],
  );
  const bigRun = makeRun({ resources: { memory: '1Gi' } });
  assert.equal(
    claimCandidates(bigRun, [python, big, node], pods, config, testRuntimes(config)).map(
      (p) => p.metadata?.labels?.[LABELS.pool],
    ),
    ['python-big'],
  );
  assert.equal(
    claimCandidates(makeRun({ resources: { cpu: '500m' } }), [python], pods, config, testRuntimes(config)),
    [],
  );
});

test('a run that needs more than a pool has claims its Pod when no pool fits exactly, to grow it in place', () => {
  const small = makePool({ resources: { cpu: '500m' } }, 'python-small');
  const pod = poolPod(small);
  const run = makeRun({ resources: { cpu: '1', memory: '512Mi' } });
  assert.equal(
    claimCandidates(run, [small], [pod], config, testRuntimes(config)).map((p) => p.metadata?.name),
    [pod.metadata?.name],
  );
});

test('a pool of exactly the run size is preferred to one whose Pod would have to grow', () => {
  const small = makePool({ resources: { cpu: '500m' } }, 'python-small');
  const exact = makePool({}, 'python');
  const pods = [poolPod(small), poolPod(exact)];
  assert.equal(
    claimCandidates(makeRun(), [small, exact], pods, config, testRuntimes(config)).map(
      (p) => p.metadata?.labels?.[LABELS.pool],
    ),
    ['python'],
  );
});

test("a Node.js run grows a pool Pod's CPU but not its memory: V8 sizes its heap when node starts", () => {
  const node = makePool({ language: 'nodejs', resources: { cpu: '500m' } }, 'node');
  const pods = [poolPod(node)];
  const moreCpu = makeRun({ language: 'nodejs', resources: { cpu: '1' } });
  const moreMemory = makeRun({ language: 'nodejs', resources: { cpu: '500m', memory: '512Mi' } });
  assert.is(claimCandidates(moreCpu, [node], pods, config, testRuntimes(config)).length, 1);
  assert.equal(claimCandidates(moreMemory, [node], pods, config, testRuntimes(config)), []);
});

test('a run that already had to leave a sandbox is never resized again: exact Pods or a cold start only', () => {
  const small = makePool({ resources: { cpu: '500m' } }, 'python-small');
  const moved = makeRun({ resources: { cpu: '1' } }, { phase: 'Pending', sandboxRetries: 1 });
  assert.equal(claimCandidates(moved, [small], [poolPod(small)], config, testRuntimes(config)), []);
});

test('a run claiming a smaller Pod marks it with its size and resizes it before any job goes out', () => {
  const small = makePool({ resources: { cpu: '500m' } }, 'python-small');
  const run = makeRun({ resources: { cpu: '1500m', memory: '512Mi' } });
  const steps = decide(observe({ run, warmPod: poolPod(small) }), { config });
  assert.equal(
    steps.map((s) => s.do),
    ['claimPod', 'resizePod', 'recordEvent', 'requeue'],
  );
  const [claim, resize] = steps;
  if (claim?.do !== 'claimPod' || resize?.do !== 'resizePod') throw new Error('no claim and resize');
  assert.equal(resizeTarget(claim.pod), { cpuMillis: 1500, memoryBytes: 512 * 2 ** 20 });
  assert.equal(resize.resources.limits, { cpu: '1500m', memory: '512Mi', 'ephemeral-storage': '128Mi' });
});

/** A smaller pool Pod claimed by `run` and marked to grow to its size, the kubelet's progress as given. */
function grownClaim(run: ReturnType<typeof makeRun>, applied: boolean): V1Pod {
  const small = makePool({ resources: { cpu: '500m' } }, 'python-small');
  const claimed = claimedPod(poolPod(small), run, config, new Date(NOW.getTime() - 500));
  const pod = markForResize(claimed, { cpuMillis: 1000, memoryBytes: 256 * 2 ** 20 });
  const container = pod.spec?.containers?.[0];
  if (!container?.resources?.limits || !pod.status?.containerStatuses?.[0]) throw new Error('no container');
  container.resources.limits = { ...container.resources.limits, cpu: '1' };
  pod.status.containerStatuses[0].resources = { limits: { cpu: applied ? '1' : '500m', memory: '256Mi' } };
  return pod;
}

test('a claimed Pod still growing gets no job; once the kubelet applied the size, it does', () => {
  const run = makeRun({ resources: { cpu: '1' } });
  const waiting = decide(observe({ run, pod: grownClaim(run, false) }), { config });
  assert.equal(
    waiting.map((s) => s.do),
    ['requeue'],
  );
  const grown = decide(observe({ run, pod: grownClaim(run, true) }), { config });
  assert.ok(grown.some((s) => s.do === 'deliverJob'));
});

test('a resize the API server refused moves the run to a fresh sandbox, saying why', () => {
  const run = makeRun({ resources: { cpu: '1' } });
  const pod = grownClaim(run, false);
  const steps = decide(observe({ run, pod, podResizeRefused: 'exceeded quota: coderun-sandbox' }), {
    config,
  });
  assert.equal(
    steps.map((s) => s.do),
    ['deletePod', 'writeStatus'],
  );
  const write = steps[1];
  if (write?.do !== 'writeStatus') throw new Error('no status');
  assert.is(write.status.sandboxRetries, 1);
  assert.match(write.status.message ?? '', /cannot resize the pool Pod: exceeded quota/);
});

test('an idle Pod built with another seccomp profile is no candidate: it waits for its replacement', () => {
  const pool = makePool();
  const before = poolPod(pool);
  const custom = testConfig({ CODERUN_SECCOMP_PROFILE: 'coderun/sandbox-0123456789ab.json' });
  assert.equal(claimCandidates(makeRun(), [pool], [before], custom, testRuntimes(custom)), []);
  const after = buildPoolPod(pool, poolShape(pool, runtimeNamed(pool.spec.language, custom), custom), custom);
  after.metadata = { ...after.metadata, name: 'python-after' };
  after.status = before.status;
  assert.equal(
    claimCandidates(makeRun(), [pool], [before, after], custom, testRuntimes(custom)).map(
      (p) => p.metadata?.name,
    ),
    ['python-after'],
  );
});

test('a claimed Pod is no candidate', () => {
  const pool = makePool();
  const claimed = claimedPod(poolPod(pool), makeRun({}, undefined, 'other'), config, NOW);
  assert.equal(claimCandidates(makeRun(), [pool], [claimed], config, testRuntimes(config)), []);
});

test('an idle Pod of a pool being deleted is no candidate', () => {
  const pool = makePool();
  const deleting = { ...pool, metadata: { ...pool.metadata, deletionTimestamp: NOW.toISOString() } };
  assert.equal(claimCandidates(makeRun(), [deleting], [poolPod(pool)], config, testRuntimes(config)), []);
});

/** A 100 s old pool Pod claimed by a run with a 5 s timeout. */
function claimOf() {
  const pod = poolPod(makePool(), { ageSeconds: 100 });
  const run = makeRun({ timeoutSeconds: 5 });
  return { pod, run, claimed: claimedPod(pod, run, config, NOW) };
}

test('the claim moves ownership of the Pod to the run', () => {
  const { run, claimed } = claimOf();
  assert.equal(
    claimed.metadata?.ownerReferences?.map((o) => [o.kind, o.uid, o.controller]),
    [['CodeRun', run.metadata.uid, true]],
  );
});

test("the claim labels the Pod claimed, with the run's uid, keeping its pool", () => {
  const { run, claimed } = claimOf();
  assert.is(claimed.metadata?.labels?.[LABELS.state], 'claimed');
  assert.is(claimed.metadata?.labels?.[LABELS.runUid], run.metadata.uid);
  assert.is(claimed.metadata?.labels?.[LABELS.pool], 'python');
});

test("the claim lowers the Pod's deadline to the run's", () => {
  const { claimed } = claimOf();
  assert.is(claimed.spec?.activeDeadlineSeconds, 100 + 5 + config.deadlineGraceSeconds);
});

test('the claim is written on the version of the Pod it read', () => {
  const { pod, claimed } = claimOf();
  assert.is(claimed.metadata?.resourceVersion, pod.metadata?.resourceVersion);
});

test('a run with a warm candidate claims it and gets its job in the same pass, without a status write', () => {
  const pool = makePool();
  const pod = poolPod(pool);
  const steps = decide(observe({ warmPod: pod }), { config });
  assert.equal(
    steps.map((s) => s.do),
    ['claimPod', 'deliverJob', 'recordEvent', 'requeue'],
  );
  assert.equal(steps[3], { do: 'requeue', afterMs: RUNNING_WRITE_DELAY_MS });
});

test('a warm run that ends within moments of its claim has one status write: its outcome', () => {
  const run = makeRun();
  const claimTime = new Date(NOW.getTime() - 100);
  const claimed = claimedPod(poolPod(makePool()), run, config, claimTime);
  // Its job is out and the claim shows in the cache: nothing to write yet, look again when it is due.
  const early = decide(observe({ run, pod: claimed, sessionActive: true }), { config });
  assert.equal(early, [{ do: 'requeue', afterMs: RUNNING_WRITE_DELAY_MS - 100 }]);
  // The report is in: the outcome, with everything the Running write would have said.
  const done = decide(observe({ run, pod: claimed, report: { source: 'session', report: makeReport() } }), {
    config,
  });
  const write = done[0];
  if (write?.do !== 'writeStatus') throw new Error('no status');
  const s = write.status;
  assert.equal(
    [s.phase, s.sandbox, s.podName, s.startTime],
    ['Succeeded', 'warm', claimed.metadata?.name, claimTime.toISOString().replace(/\.\d+Z$/, 'Z')],
  );
  assert.equal(
    s.conditions?.map((c) => [c.type, c.status]),
    [
      ['Accepted', 'True'],
      ['Started', 'True'],
      ['Complete', 'True'],
    ],
  );
});

test('a claim found after a restart that lost the status write counts from the claim, not the Pod start', () => {
  const run = makeRun();
  // The pool Pod waited an hour; the run claimed it 2 s ago, then the controller restarted.
  const claimedAtTime = new Date(NOW.getTime() - 2000);
  const claimed = claimedPod(poolPod(makePool(), { ageSeconds: 3600 }), run, config, claimedAtTime);
  const steps = decide(observe({ run, pod: claimed, sessionActive: true }), { config });
  assert.equal(
    steps.map((s) => s.do),
    ['writeStatus'],
  );
  const write = steps[0];
  if (write?.do !== 'writeStatus') throw new Error('no status');
  assert.equal(
    [write.status.phase, write.status.sandbox, write.status.podName, write.status.startTime],
    ['Running', 'warm', claimed.metadata?.name, claimedAtTime.toISOString().replace(/\.\d+Z$/, 'Z')],
  );
  // Long past the hour-old Pod's start plus any deadline, but 2 s after the claim: still running.
  assert.not.match(write.status.message ?? '', /no outcome/);
});

test('a policy rejection wins over a warm candidate', () => {
  const steps = decide(
    observe({
      verdict: { allowed: false, findings: [{ line: 1, column: 1, rule: 'x', message: 'no' }] },
      warmPod: poolPod(makePool()),
    }),
    { config },
  );
  assert.equal(
    steps.map((s) => s.do),
    ['writeStatus'],
  );
});

test('candidates are spread over runs, so simultaneous claims rarely collide', () => {
  const pool = makePool();
  const pods = Array.from({ length: 5 }, () => poolPod(pool));
  const picked = new Set(
    Array.from(
      { length: 40 },
      (_, i) => pickCandidate(pods, makeRun({}, undefined, `run-${i}`))?.metadata?.name,
    ),
  );
  assert.ok(picked.size >= 4, `only ${picked.size} distinct picks`);
});

test('with no candidates there is none to pick', () => {
  assert.is(pickCandidate([], makeRun()), undefined);
});

/** A claim of an idle pool Pod, and that Pod at a newer version: the kubelet wrote its status since. */
function conflictedClaim() {
  const pod = poolPod(makePool());
  const claim = claimedPod(pod, makeRun(), config, NOW);
  const fresh: V1Pod = {
    ...pod,
    metadata: { ...pod.metadata, resourceVersion: '5000' },
    status: { ...pod.status, podIP: '10.0.0.9' },
  };
  return { claim, fresh };
}

test('a claim that met a conflict is written again on the newer version while that version is still idle', () => {
  const { claim, fresh } = conflictedClaim();
  const again = reclaimed(fresh, claim);
  assert.ok(again);
  assert.is(again.metadata?.resourceVersion, '5000', 'written with the version it read');
  assert.equal(again.metadata?.labels, claim.metadata?.labels);
  assert.equal(again.metadata?.ownerReferences, claim.metadata?.ownerReferences);
  assert.equal(again.metadata?.annotations, claim.metadata?.annotations);
  assert.is(again.spec?.activeDeadlineSeconds, claim.spec?.activeDeadlineSeconds);
  assert.is(again.status?.podIP, '10.0.0.9');
});

test('a claim that met a conflict is given up when another run claimed the newer version', () => {
  const { claim, fresh } = conflictedClaim();
  assert.is(reclaimed(claimedPod(fresh, makeRun({}, undefined, 'other'), config, NOW), claim), undefined);
});

test('a claim that met a conflict is given up when the Pod is going away, its runner ended or its template changed', () => {
  const { claim, fresh } = conflictedClaim();
  assert.is(
    reclaimed({ ...fresh, metadata: { ...fresh.metadata, deletionTimestamp: NOW } }, claim),
    undefined,
  );
  assert.is(reclaimed({ ...fresh, status: { ...fresh.status, phase: 'Succeeded' } }, claim), undefined);
  const rebuilt: V1Pod = {
    ...fresh,
    metadata: {
      ...fresh.metadata,
      annotations: { ...fresh.metadata?.annotations, [TEMPLATE_HASH_ANNOTATION]: 'other' },
    },
  };
  assert.is(reclaimed(rebuilt, claim), undefined);
});

test("a claim written again keeps the newer version's deadline when that is lower: the deadline only goes down", () => {
  const { claim, fresh } = conflictedClaim();
  const lower = reclaimed({ ...fresh, spec: { ...fresh.spec!, activeDeadlineSeconds: 5 } }, claim);
  assert.is(lower?.spec?.activeDeadlineSeconds, 5);
});

test('a lost claim skips that version of the Pod only: a newer idle version is a candidate again', () => {
  const pool = makePool();
  const pod = poolPod(pool);
  const lost = new LostClaims();
  lost.lost(pod, NOW.getTime());
  assert.ok(lost.has(pod));
  // The claim lost to a status write of the kubelet, not to a run: the informer shows the next version idle.
  const newer: V1Pod = { ...pod, metadata: { ...pod.metadata, resourceVersion: '999999' } };
  assert.not.ok(lost.has(newer));
  const other: V1Pod = { ...pod, metadata: { ...pod.metadata, name: 'python-other' } };
  assert.not.ok(lost.has(other));
});

test('a lost claim is remembered while young and forgotten once old, each by its own age', () => {
  const pool = makePool();
  const pod = poolPod(pool);
  const later = poolPod(pool);
  const lost = new LostClaims();
  lost.lost(pod, NOW.getTime());
  lost.lost(later, NOW.getTime() + 3000);
  lost.prune(NOW.getTime() + 1000, 5000);
  assert.ok(lost.has(pod), 'kept while young');
  lost.prune(NOW.getTime() + 6000, 5000);
  assert.not.ok(lost.has(pod), 'forgotten once old');
  assert.ok(lost.has(later), 'one lost later is kept until it is old itself');
  lost.prune(NOW.getTime() + 9000, 5000);
  assert.not.ok(lost.has(later), 'forgotten once old itself');
});

test('an empty pool is filled to its replicas and is not Ready', () => {
  const pool = makePool({ replicas: 3 });
  const empty = planPool(pool, [], hashOf(pool), NOW, START);
  assert.is(empty.create, 3);
  assert.equal(empty.remove, []);
  assert.is(empty.status.replicas, 0);
  assert.is(empty.status.conditions?.[0]?.status, 'False');
});

test('a full pool is left alone and is Ready, with its selector in the status', () => {
  const pool = makePool({ replicas: 3 });
  const full = planPool(pool, [poolPod(pool), poolPod(pool), poolPod(pool)], hashOf(pool), NOW, START);
  assert.is(full.create, 0);
  assert.equal(full.remove, []);
  assert.equal([full.status.replicas, full.status.readyReplicas], [3, 3]);
  assert.is(full.status.conditions?.[0]?.status, 'True');
  assert.match(full.status.selector ?? '', 'coderun.dev/pool=python');
});

test('claimed Pods do not count toward the pool, so each claim is refilled', () => {
  const pool = makePool({ replicas: 2 });
  const claimed = claimedPod(poolPod(pool), makeRun(), config, NOW);
  const plan = planPool(pool, [poolPod(pool), claimed], hashOf(pool), NOW, START);
  assert.is(plan.create, 1);
  assert.is(plan.status.claimed, 1);
  assert.equal(plan.remove, []);
});

test('scaling down removes starting Pods first, then the oldest', () => {
  const pool = makePool({ replicas: 1 });
  const old = poolPod(pool, { ageSeconds: 500 });
  const young = poolPod(pool, { ageSeconds: 5 });
  const starting = poolPod(pool, { phase: 'Pending' });
  const plan = planPool(pool, [old, young, starting], hashOf(pool), NOW, START);
  assert.equal(
    plan.remove.map((r) => r.name),
    [starting.metadata?.name, old.metadata?.name],
  );
});

test('scaling to 0 removes every idle Pod', () => {
  const pool = makePool({ replicas: 1 });
  const old = poolPod(pool, { ageSeconds: 500 });
  const young = poolPod(pool, { ageSeconds: 5 });
  const zero = planPool(
    makePool({ replicas: 0 }),
    [old, young],
    hashOf(makePool({ replicas: 0 })),
    NOW,
    START,
  );
  assert.is(zero.remove.length, 2);
  assert.is(zero.create, 0);
});

test('idle Pods past maxIdleSeconds and Pods whose runner ended are replaced', () => {
  const pool = makePool({ replicas: 2, maxIdleSeconds: 600 });
  const aged = poolPod(pool, { ageSeconds: 601 });
  const ended = poolPod(pool, { phase: 'Failed' });
  const plan = planPool(pool, [aged, ended], hashOf(pool), NOW, START);
  assert.equal(plan.remove.map((r) => r.why).sort(), [
    'idle past maxIdleSeconds',
    'its runner ended (Failed)',
  ]);
  assert.is(plan.create, 2);
});

test('the pool looks again when an idle Pod will pass maxIdleSeconds', () => {
  const pool = makePool({ replicas: 2, maxIdleSeconds: 600 });
  const fresh = planPool(pool, [poolPod(pool, { ageSeconds: 100 })], hashOf(pool), NOW, START);
  assert.is(fresh.recheckAfterMs, 500_000);
});

test('a Pod not ready within the start timeout is replaced', () => {
  const pool = makePool({ replicas: 2, maxIdleSeconds: 3600 });
  // A sandbox the node could not start: still ContainerCreating long after its creation.
  const stuck = poolPod(pool, { phase: 'Pending', ageSeconds: START + 1 });
  const starting = poolPod(pool, { phase: 'Pending', ageSeconds: START - 30 });
  const plan = planPool(pool, [stuck, starting], hashOf(pool), NOW, START);
  assert.equal(plan.remove, [
    {
      name: stuck.metadata?.name as string,
      resourceVersion: stuck.metadata?.resourceVersion,
      why: `not ready within ${START} s of its creation`,
    },
  ]);
  assert.is(plan.create, 1);
});

test("the pool looks again when a starting Pod's start timeout is due", () => {
  const pool = makePool({ replicas: 2, maxIdleSeconds: 3600 });
  const stuck = poolPod(pool, { phase: 'Pending', ageSeconds: START + 1 });
  const starting = poolPod(pool, { phase: 'Pending', ageSeconds: START - 30 });
  const plan = planPool(pool, [stuck, starting], hashOf(pool), NOW, START);
  assert.is(plan.recheckAfterMs, 30_000, 'when the other one is due');
});

test('a running Pod whose runner never became ready within the start timeout is replaced', () => {
  const pool = makePool({ replicas: 2, maxIdleSeconds: 3600 });
  const unready = poolPod(pool, { ready: false, ageSeconds: START + 1 });
  assert.is(planPool(pool, [unready], hashOf(pool), NOW, START).remove.length, 1);
});

test('a ready Pod older than the start timeout but younger than maxIdleSeconds stays', () => {
  const pool = makePool({ replicas: 2, maxIdleSeconds: 3600 });
  assert.equal(
    planPool(pool, [poolPod(pool, { ageSeconds: START + 1 })], hashOf(pool), NOW, START).remove,
    [],
  );
});

test('idle Pods built from another template are replaced, so a changed pool or operator rolls out', () => {
  const pool = makePool({ replicas: 1 });
  const stale = poolPod(pool);
  stale.metadata = { ...stale.metadata, annotations: { 'coderun.dev/template-hash': 'older' } };
  const plan = planPool(pool, [stale], hashOf(pool), NOW, START);
  assert.equal(plan.remove, [
    {
      name: stale.metadata.name as string,
      resourceVersion: stale.metadata.resourceVersion,
      why: 'built from an older template',
    },
  ]);
  assert.is(plan.create, 1);
});

test.run();
