// The pure part of growing a claimed pool Pod in place: which Pods may grow, to what, and where it stands.
import type { V1Pod } from '@kubernetes/client-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  growsInto,
  markForResize,
  RESIZE_TIMEOUT_MS,
  resizedResources,
  resizeProgress,
  resizeTarget,
} from '../../../src/controller/resize.ts';
import { NOW } from '../../fixtures.ts';

const MiB = 2 ** 20;
const shape = {
  language: 'python',
  image: 'img',
  programFile: 'main.py',
  cpuMillis: 500,
  memoryBytes: 256 * MiB,
};

test('a Pod grows into a run that needs more CPU or memory of the same sandbox', () => {
  assert.ok(growsInto(shape, { ...shape, cpuMillis: 1000 }, true));
  assert.ok(growsInto(shape, { ...shape, memoryBytes: 512 * MiB }, true));
  assert.ok(growsInto(shape, { ...shape, cpuMillis: 1000, memoryBytes: 512 * MiB }, true));
});

test('a Pod never shrinks, and one of exactly the run size is no resize', () => {
  assert.not.ok(growsInto(shape, { ...shape, cpuMillis: 250 }, true));
  assert.not.ok(growsInto(shape, { ...shape, cpuMillis: 1000, memoryBytes: 128 * MiB }, true));
  assert.not.ok(growsInto(shape, shape, true));
});

test("another language, image or program file is another sandbox: it never grows into the run's", () => {
  const bigger = { cpuMillis: 1000 };
  assert.not.ok(growsInto(shape, { ...shape, ...bigger, language: 'nodejs' }, true));
  assert.not.ok(growsInto(shape, { ...shape, ...bigger, image: 'other' }, true));
  assert.not.ok(growsInto(shape, { ...shape, ...bigger, programFile: 'main.js' }, true));
});

test('where memory may not grow in place, only CPU does', () => {
  assert.ok(growsInto(shape, { ...shape, cpuMillis: 1000 }, false));
  assert.not.ok(growsInto(shape, { ...shape, memoryBytes: 512 * MiB }, false));
});

function podWith(requests: Record<string, string>, limits: Record<string, string>): V1Pod {
  return {
    metadata: { name: 'python-1', generation: 1 },
    spec: { containers: [{ name: 'runner', resources: { requests, limits } }] },
  };
}

const storage = { 'ephemeral-storage': '128Mi' };

test('a Burstable Pod grows its limits and memory request and keeps its small CPU request (its QoS class)', () => {
  const pod = podWith(
    { cpu: '100m', memory: '256Mi', ...storage },
    { cpu: '500m', memory: '256Mi', ...storage },
  );
  assert.equal(resizedResources(pod, { cpuMillis: 1500, memoryBytes: 512 * MiB }), {
    limits: { cpu: '1500m', memory: '512Mi', ...storage },
    requests: { cpu: '100m', memory: '512Mi', ...storage },
  });
});

test('a Guaranteed Pod grows its CPU request with its limit, so it stays Guaranteed', () => {
  const pod = podWith({ cpu: '500m', memory: '256Mi' }, { cpu: '500m', memory: '256Mi' });
  assert.equal(resizedResources(pod, { cpuMillis: 1000, memoryBytes: 256 * MiB }), {
    limits: { cpu: '1', memory: '256Mi' },
    requests: { cpu: '1', memory: '256Mi' },
  });
});

test('the size to grow to travels on the claim, and only there', () => {
  const pod = podWith({}, {});
  assert.is(resizeTarget(pod), undefined);
  assert.is(markForResize(pod, undefined), pod);
  const size = { cpuMillis: 1000, memoryBytes: 512 * MiB };
  assert.equal(resizeTarget(markForResize(pod, size)), size);
});

const target = { cpuMillis: 1000, memoryBytes: 512 * MiB };
const claimedAt = new Date(NOW.getTime() - 1000);

/** A claimed Pod to grow to `target`, its spec and status as given. */
function growing(
  spec: Record<string, string>,
  applied: Record<string, string>,
  extra: Partial<V1Pod['status']> = {},
) {
  const pod = markForResize(podWith({ cpu: '100m', memory: spec.memory ?? '' }, spec), target);
  pod.metadata = { ...pod.metadata, generation: 2 };
  pod.status = {
    observedGeneration: 2,
    containerStatuses: [
      {
        name: 'runner',
        image: 'img',
        imageID: '',
        ready: true,
        restartCount: 0,
        resources: { limits: applied },
      },
    ],
    ...extra,
  };
  return pod;
}

test('a Pod with no size to grow to is done at once', () => {
  assert.equal(resizeProgress(podWith({}, { cpu: '500m' }), claimedAt, NOW), { state: 'done' });
});

test("a claimed Pod whose spec is not the run's size yet needs the resize, with the resources to ask for", () => {
  const pod = growing({ cpu: '500m', memory: '256Mi' }, { cpu: '500m', memory: '256Mi' });
  const progress = resizeProgress(pod, claimedAt, NOW);
  assert.is(progress.state, 'needed');
  if (progress.state === 'needed') assert.equal(progress.resources.limits, { cpu: '1', memory: '512Mi' });
});

test('a resize asked for but not applied by the kubelet yet is pending', () => {
  const old = { cpu: '500m', memory: '256Mi' };
  assert.equal(resizeProgress(growing({ cpu: '1', memory: '512Mi' }, old), claimedAt, NOW), {
    state: 'pending',
  });
  const inProgress = growing(
    { cpu: '1', memory: '512Mi' },
    { cpu: '1', memory: '512Mi' },
    {
      conditions: [{ type: 'PodResizeInProgress', status: 'True' }],
    },
  );
  assert.equal(resizeProgress(inProgress, claimedAt, NOW), { state: 'pending' });
  const unseen = growing(
    { cpu: '1', memory: '512Mi' },
    { cpu: '1', memory: '512Mi' },
    { observedGeneration: 1 },
  );
  assert.equal(resizeProgress(unseen, claimedAt, NOW), { state: 'pending' });
});

test('a resize the kubelet applied is done (quantities compared by value)', () => {
  const pod = growing({ cpu: '1', memory: '512Mi' }, { cpu: '1000m', memory: '536870912' });
  assert.equal(resizeProgress(pod, claimedAt, NOW), { state: 'done' });
});

test('a resize the kubelet defers or finds infeasible is refused, saying why', () => {
  const pod = growing(
    { cpu: '1', memory: '512Mi' },
    { cpu: '500m', memory: '256Mi' },
    {
      conditions: [
        {
          type: 'PodResizePending',
          status: 'True',
          reason: 'Infeasible',
          message: "Node didn't have enough capacity",
        },
      ],
    },
  );
  const progress = resizeProgress(pod, claimedAt, NOW);
  assert.is(progress.state, 'refused');
  if (progress.state === 'refused')
    assert.match(progress.message, /Infeasible: Node didn't have enough capacity/);
});

test('a resize the runtime failed to apply is refused at once', () => {
  const pod = growing(
    { cpu: '1', memory: '512Mi' },
    { cpu: '500m', memory: '256Mi' },
    {
      conditions: [
        { type: 'PodResizeInProgress', status: 'True', reason: 'Error', message: 'not implemented' },
      ],
    },
  );
  const progress = resizeProgress(pod, claimedAt, NOW);
  assert.is(progress.state, 'refused');
  if (progress.state === 'refused') assert.match(progress.message, /Error: not implemented/);
});

test('a resize still pending after its time is refused', () => {
  const pod = growing({ cpu: '1', memory: '512Mi' }, { cpu: '500m', memory: '256Mi' });
  const late = new Date(claimedAt.getTime() + RESIZE_TIMEOUT_MS + 1);
  const progress = resizeProgress(pod, claimedAt, late);
  assert.is(progress.state, 'refused');
  if (progress.state === 'refused') assert.match(progress.message, /not resized within 10 s/);
});

test.run();
