import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decide, needsPolicyVerdict, type Step } from '../../../src/controller/reconcile.ts';
import { makePod, makeReport, makeRun, NOW, observe, testConfig } from '../../fixtures.ts';

const config = testConfig();
const rejectOs = {
  allowed: false,
  findings: [{ line: 1, column: 1, rule: 'import-blocked-module', message: "Import of blocked module 'os'" }],
};

function kinds(steps: Step[]): string[] {
  return steps.map((s) => s.do);
}

function statusOf(steps: Step[]) {
  const write = steps.find((s) => s.do === 'writeStatus');
  if (write?.do !== 'writeStatus') throw new Error('no status written');
  return write.status;
}

test('a new run gets its sandbox pod created and its status set to Pending/PodCreated', () => {
  const steps = decide(observe({}), { config });
  assert.equal(kinds(steps), ['createPod', 'writeStatus']);
  const status = statusOf(steps);
  assert.is(status.phase, 'Pending');
  assert.is(status.podName, 'hello-sandbox');
  assert.is(status.observedGeneration, 1);
  assert.is(status.conditions?.find((c) => c.type === 'Accepted')?.status, 'True');
});

test('a run the policy rejects fails as PolicyRejected with its findings and creates nothing', () => {
  const steps = decide(observe({ run: makeRun({ source: 'import os\n' }), verdict: rejectOs }), { config });
  assert.equal(kinds(steps), ['writeStatus']);
  const status = statusOf(steps);
  assert.is(status.phase, 'Failed');
  assert.is(status.reason, 'PolicyRejected');
  assert.equal(status.policyFindings?.[0]?.message, "Import of blocked module 'os'");
  assert.match(status.message ?? '', "line 1: Import of blocked module 'os'");
  assert.ok(status.completionTime);
});

test('arguments over 256 KiB are rejected with the size and the limit', () => {
  const run = makeRun({ arguments: { blob: 'x'.repeat(262_144) } });
  const status = statusOf(decide(observe({ run }), { config }));
  assert.is(status.reason, 'Rejected');
  assert.match(status.message ?? '', '262144 bytes');
});

test('a sandbox Pod the API server refused for good fails the run with its message and creates nothing', () => {
  const refusal = 'pods "hello-sandbox" is forbidden: RuntimeClass "gvisor" not found';
  const steps = decide(observe({ podCreateRefused: refusal }), { config });
  assert.equal(kinds(steps), ['writeStatus']);
  const status = statusOf(steps);
  assert.is(status.phase, 'Failed');
  assert.is(status.reason, 'SystemError');
  assert.is(status.message, `cannot create the sandbox Pod: ${refusal}`);
  const write = steps[0];
  assert.is(write?.do === 'writeStatus' ? write.event?.reason : undefined, 'PodCreateFailed');
});

test('a pod of an earlier run with the same name is waited out, not adopted', () => {
  const steps = decide(observe({ stalePod: true }), { config });
  assert.equal(steps, [{ do: 'requeue', afterMs: 1000 }]);
});

test('a pod that exists before the status says so is adopted, not created again', () => {
  const run = makeRun();
  const steps = decide(observe({ run, pod: makePod(run, { createdSecondsAgo: 2 }) }), { config });
  assert.not.ok(kinds(steps).includes('createPod'));
  assert.is(statusOf(steps).podName, 'hello-sandbox');
});

test('a running pod gets the job delivered once and the run marked Running', () => {
  const run = makeRun({}, { phase: 'Pending', podName: 'hello-sandbox' });
  const pod = makePod(run, { state: { running: { startedAt: NOW } } });
  const steps = decide(observe({ run, pod }), { config });
  assert.equal(kinds(steps), ['writeStatus', 'deliverJob']);
  assert.is(statusOf(steps).phase, 'Running');
  assert.is(statusOf(steps).startTime, '2026-11-21T12:00:00Z');
  const again = decide(observe({ run, pod, sessionActive: true }), { config });
  assert.not.ok(kinds(again).includes('deliverJob'));
});

test('a report finishes the run and deletes its pod', () => {
  const run = makeRun({}, { phase: 'Running', podName: 'hello-sandbox' });
  const pod = makePod(run, { state: { running: { startedAt: NOW } } });
  const steps = decide(observe({ run, pod, report: { source: 'session', report: makeReport() } }), {
    config,
  });
  assert.equal(kinds(steps), ['writeStatus', 'deletePod']);
  const status = statusOf(steps);
  assert.is(status.phase, 'Succeeded');
  assert.is(status.durationMs, 12);
  assert.is(status.memoryUsedKb, 20_480);
  assert.is(status.conditions?.find((c) => c.type === 'Complete')?.status, 'True');
});

test('a terminated container without a live session has its log read', () => {
  const run = makeRun({}, { phase: 'Running', podName: 'hello-sandbox' });
  const pod = makePod(run, { state: { terminated: { exitCode: 0 } } });
  assert.equal(kinds(decide(observe({ run, pod }), { config })), ['readReport']);
  assert.equal(kinds(decide(observe({ run, pod, sessionActive: true }), { config })), []);
});

test('a run whose recorded pod has vanished fails as PodDeleted', () => {
  const run = makeRun({}, { phase: 'Running', podName: 'hello-sandbox' });
  const status = statusOf(decide(observe({ run }), { config }));
  assert.is(status.reason, 'PodDeleted');
  assert.is(status.phase, 'Failed');
});

test('a finished run deletes a leftover pod and waits for its TTL', () => {
  const run = makeRun(
    { ttlSecondsAfterFinished: 60 },
    { phase: 'Succeeded', completionTime: new Date(NOW.getTime() - 20_000).toISOString() },
  );
  const steps = decide(observe({ run, pod: makePod(run) }), { config });
  assert.equal(steps, [
    { do: 'deletePod', podName: 'hello-sandbox' },
    { do: 'requeue', afterMs: 40_000 },
  ]);
});

test('a finished run past its TTL is deleted', () => {
  const run = makeRun({ ttlSecondsAfterFinished: 0 }, { phase: 'Failed', completionTime: NOW.toISOString() });
  assert.equal(decide(observe({ run }), { config }), [{ do: 'deleteRun' }]);
});

test('the operator TTL applies when the run sets none', () => {
  const run = makeRun({}, { phase: 'Succeeded', completionTime: NOW.toISOString() });
  assert.equal(decide(observe({ run }), { config }), [{ do: 'requeue', afterMs: 600_000 }]);
});

test('a run being deleted is left to garbage collection', () => {
  const run = makeRun();
  run.metadata.deletionTimestamp = NOW.toISOString();
  assert.equal(decide(observe({ run }), { config }), []);
});

test('the policy is not consulted again once the pod exists', () => {
  const run = makeRun({ source: 'import os\n' }, { phase: 'Pending', podName: 'hello-sandbox' });
  const pod = makePod(run);
  assert.not.ok(needsPolicyVerdict(run, pod));
  const steps = decide(observe({ run, pod, verdict: rejectOs }), { config });
  assert.equal(kinds(steps), ['requeue']);
});

test('a new run needs a verdict, and without one nothing is created', () => {
  const run = makeRun();
  assert.ok(needsPolicyVerdict(run, null));
  assert.equal(decide(observe({ run, verdict: undefined }), { config }), [{ do: 'requeue', afterMs: 1000 }]);
});

test('finished and deleted runs need no verdict', () => {
  assert.not.ok(needsPolicyVerdict(makeRun({}, { phase: 'Succeeded', reason: 'Completed' }), null));
  const deleting = makeRun();
  deleting.metadata.deletionTimestamp = NOW.toISOString();
  assert.not.ok(needsPolicyVerdict(deleting, null));
});

test('a sandbox that never got its job is dropped and the run starts over, at most twice', () => {
  const run = makeRun(
    {},
    { phase: 'Running', podName: 'hello-sandbox', sandbox: 'warm', startTime: NOW.toISOString() },
  );
  const never = { state: { terminated: { exitCode: 3, reason: 'Error', message: 'stdin closed' } } };
  const pod = makePod(run, never);
  const logWithout = { source: 'log', report: null } as const;
  const steps = decide(observe({ run, pod, report: logWithout }), { config });
  assert.equal(kinds(steps), ['deletePod', 'writeStatus']);
  const status = statusOf(steps);
  assert.equal(
    [status.phase, status.podName, status.sandbox, status.sandboxRetries],
    ['Pending', undefined, undefined, 1],
  );
  // While that Pod is going away, the run waits instead of judging it again.
  const retried = makeRun({}, status);
  const going = { ...pod, metadata: { ...pod.metadata, deletionTimestamp: NOW } };
  assert.equal(decide(observe({ run: retried, pod: going }), { config }), [{ do: 'requeue', afterMs: 500 }]);
  const exhausted = makeRun({}, { ...run.status, sandboxRetries: 2 });
  const final = statusOf(
    decide(observe({ run: exhausted, pod: makePod(exhausted, never), report: logWithout }), { config }),
  );
  assert.equal([final.phase, final.reason], ['Failed', 'SystemError']);
  assert.match(final.message ?? '', 'received no job');
});

test('a sandbox lost under its program (no line, an exit the runner never makes) is run again in a fresh one, at most twice', () => {
  const run = makeRun(
    {},
    { phase: 'Running', podName: 'hello-sandbox', sandbox: 'cold', startTime: NOW.toISOString() },
  );
  const lost = { state: { terminated: { exitCode: 255, reason: 'Error' } } };
  const logWithout = { source: 'log', report: null } as const;
  const steps = decide(observe({ run, pod: makePod(run, lost), report: logWithout }), { config });
  assert.equal(kinds(steps), ['deletePod', 'writeStatus']);
  const status = statusOf(steps);
  assert.equal([status.phase, status.podName, status.sandboxRetries], ['Pending', undefined, 1]);
  assert.match(
    status.message ?? '',
    'code 255 before the runner reported a result; moving the run to a fresh sandbox',
  );
  const exhausted = makeRun({}, { ...run.status, sandboxRetries: 2 });
  const final = statusOf(
    decide(observe({ run: exhausted, pod: makePod(exhausted, lost), report: logWithout }), { config }),
  );
  assert.equal([final.phase, final.reason], ['Failed', 'SystemError']);
  assert.match(final.message ?? '', 'code 255 before the runner reported a result');
});

test.run();
