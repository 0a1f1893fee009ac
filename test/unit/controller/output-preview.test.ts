// What of a run's output stays in etcd when a store holds the rest (issue: a bounded etcd footprint). Pure.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { previewOutcome, utf8Prefix } from '../../../src/controller/output-preview.ts';
import { decide, type Step } from '../../../src/controller/reconcile.ts';
import { makePod, makeReport, makeRun, NOW, observe, testConfig } from '../../fixtures.ts';

const s3 = testConfig({ CODERUN_ARTIFACTS_STORE: 's3', CODERUN_STATUS_PREVIEW_BYTES: '1024' });
const BIG = 'x'.repeat(256 * 1024);

function statusOf(steps: Step[]) {
  const step = steps.find((s) => s.do === 'writeStatus');
  if (step?.do !== 'writeStatus') throw new Error(`no status write in ${JSON.stringify(steps)}`);
  return step.status;
}

function finished(fields: Parameters<typeof makeReport>[0]) {
  const run = makeRun({}, { phase: 'Running', podName: 'hello-sandbox' });
  const pod = makePod(run, { state: { running: { startedAt: NOW } } });
  return { run, pod, report: { source: 'session' as const, report: makeReport(fields) } };
}

test('a UTF-8 prefix never splits a character', () => {
  assert.is(utf8Prefix('abc', 10), 'abc');
  assert.is(utf8Prefix('aé', 2), 'a');
  assert.is(utf8Prefix('a😀b', 4), 'a');
  assert.is(utf8Prefix('a😀b', 5), 'a😀');
});

test('output that fits stays whole in the status and nothing goes to the store', () => {
  const outcome = {
    phase: 'Succeeded',
    reason: 'Completed',
    message: 'ok',
    stdout: 'hi',
    stderr: '',
  } as const;
  assert.equal(previewOutcome(outcome, 1024), { outcome, full: null });
});

const LARGE_VALUE = { rows: Array.from({ length: 500 }, (_, i) => i) };
const large = () => finished({ stdout: BIG, stderr: BIG, result: { present: true, value: LARGE_VALUE } });

test('256 KiB on both streams and a large result go to the store whole', () => {
  const first = decide(observe(large()), { config: s3 });
  const collect = first[0];
  assert.ok(collect?.do === 'collectArtifacts', JSON.stringify(first).slice(0, 200));
  assert.is(collect.output?.stdout.length, BIG.length);
  assert.is(collect.output?.stderr.length, BIG.length);
  assert.equal(collect.output?.result, { present: true, value: LARGE_VALUE });
});

test('256 KiB on both streams and a large result leave previews in the status, with a reference to the whole', () => {
  const ref = { location: 's3://b/k', stdoutBytes: BIG.length, stderrBytes: BIG.length, resultStored: true };
  const done = decide(
    observe({ ...large(), artifacts: { state: 'collected', stored: [], skipped: [], output: ref } }),
    { config: s3 },
  );
  const status = statusOf(done);
  assert.is(status.stdout?.length, 1024);
  assert.is(status.stderr?.length, 1024);
  assert.equal(status.result, { present: true });
  assert.equal(status.fullOutput, ref);
  assert.ok(JSON.stringify(status).length < 8 * 1024, `${JSON.stringify(status).length} bytes of status`);
});

test('a failed program with long stderr sends it to the store the same way', () => {
  const obs = finished({ exitCode: 1, stderr: BIG });
  assert.equal(
    decide(observe(obs), { config: s3 }).map((s) => s.do),
    ['collectArtifacts'],
  );
});

test('a failed program whose store write failed keeps its long stderr whole in the status', () => {
  const obs = finished({ exitCode: 1, stderr: BIG });
  const status = statusOf(
    decide(observe({ ...obs, artifacts: { state: 'failed', error: 'down' } }), { config: s3 }),
  );
  assert.is(status.stderr?.length, BIG.length);
  assert.is(status.fullOutput, undefined);
  assert.is(status.phase, 'Failed');
});

test('without a store the status keeps the whole output, as before', () => {
  const status = statusOf(decide(observe(finished({ stdout: BIG })), { config: testConfig() }));
  assert.is(status.stdout?.length, BIG.length);
  assert.is(status.fullOutput, undefined);
});

test.run();
