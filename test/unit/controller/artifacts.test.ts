// The controller's artifact decisions: what it re-checks of the runner's list, and when the status waits
// for the fetch. Pure; the fetch itself runs against a real S3 server in the integration tier.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planArtifacts } from '../../../src/controller/artifact-collector.ts';
import { decide, type Step } from '../../../src/controller/reconcile.ts';
import { makePod, makeReport, makeRun, NOW, observe, testConfig } from '../../fixtures.ts';

const SHA = 'ab'.repeat(32);
const s3 = testConfig({ CODERUN_ARTIFACTS_STORE: 's3' });

function listed(...names: string[]) {
  return names.map((name) => ({ name, mimeType: 'image/png', size: 10, sha256: SHA }));
}

function finished(report = makeReport({ artifacts: listed('chart.png') })) {
  const run = makeRun({}, { phase: 'Running', podName: 'hello-sandbox' });
  const pod = makePod(run, { state: { running: { startedAt: NOW } } });
  return { run, pod, report: { source: 'session' as const, report } };
}

function statusOf(steps: Step[]) {
  const step = steps.find((s) => s.do === 'writeStatus');
  if (step?.do !== 'writeStatus') throw new Error(`no status write in ${JSON.stringify(steps)}`);
  return step.status;
}

test('the plan re-checks every name, type and size the runner listed, sorts by code point and keeps 10', () => {
  const plan = planArtifacts(
    makeReport({
      artifacts: [
        ...listed(
          'b.png',
          'a.png',
          'é.png',
          'z.png',
          'ü.png',
          'c.png',
          'd.png',
          'e.png',
          'f.png',
          'g.png',
          'h.png',
        ),
        { name: '../x.png', mimeType: 'image/png', size: 1, sha256: SHA },
        { name: 'run.exe', mimeType: 'image/png', size: 1, sha256: SHA },
        { name: 'big.csv', mimeType: 'text/csv', size: 10 * 2 ** 20 + 1, sha256: SHA },
        { name: 'none.csv', mimeType: 'text/csv', size: 0, sha256: SHA },
        { name: 'odd.json', mimeType: 'application/json', size: 3, sha256: 'nothex' },
        { name: 'a.png', mimeType: 'image/png', size: 3, sha256: SHA },
      ],
      skippedArtifacts: [
        { name: 'link.png', reason: 'symlink' },
        { name: 'x', reason: 'made-up' },
      ],
    }),
  );
  assert.equal(
    plan.wanted.map((a) => a.name),
    ['a.png', 'b.png', 'c.png', 'd.png', 'e.png', 'f.png', 'g.png', 'h.png', 'z.png', 'é.png'],
  );
  assert.is(plan.wanted[0]?.mimeType, 'image/png');
  assert.equal(
    plan.skipped.map((s) => `${s.name}:${s.reason}`),
    [
      'link.png:symlink',
      'x:name',
      '../x.png:name',
      'run.exe:extension',
      'big.csv:too-large',
      'none.csv:empty',
      'odd.json:changed',
      'a.png:name',
      'ü.png:limit',
    ],
  );
});

test('the MIME type comes from the extension, never from the runner', () => {
  const plan = planArtifacts(
    makeReport({ artifacts: [{ name: 'page.HTML', mimeType: 'image/png', size: 5, sha256: SHA }] }),
  );
  assert.is(plan.wanted[0]?.mimeType, 'text/html');
});

test('a successful run that listed files waits for their fetch before its status is written', () => {
  const obs = finished();
  const first = decide(observe(obs), { config: s3 });
  assert.equal(
    first.map((s) => s.do),
    ['collectArtifacts'],
  );
  assert.equal(decide(observe({ ...obs, artifacts: { state: 'collecting' } }), { config: s3 }), []);
  const location = 's3://b/sandbox/hello/uid-hello/chart.png';
  const stored = { name: 'chart.png', mimeType: 'image/png', size: 10, sha256: SHA, location };
  const done = decide(observe({ ...obs, artifacts: { state: 'collected', stored: [stored], skipped: [] } }), {
    config: s3,
  });
  assert.equal(
    done.map((s) => s.do),
    ['writeStatus', 'deletePod'],
  );
  assert.equal(statusOf(done).artifacts, [stored]);
  assert.is(statusOf(done).phase, 'Succeeded');
});

test('skipped files are listed in the status and told in a Warning Event', () => {
  const obs = finished(
    makeReport({
      artifacts: [],
      skippedArtifacts: [{ name: 'big.csv', reason: 'too-large', size: 11_534_336 }],
    }),
  );
  const steps = decide(observe(obs), { config: s3 });
  assert.equal(
    steps.map((s) => s.do),
    ['writeStatus', 'recordEvent', 'deletePod'],
  );
  assert.equal(statusOf(steps).skippedArtifacts, [
    { name: 'big.csv', reason: 'too-large', size: 11_534_336 },
  ]);
  const event = steps.find((s) => s.do === 'recordEvent');
  assert.ok(event?.do === 'recordEvent' && /big\.csv \(too-large\)/.test(event.event.message));
});

test('a fetch that failed for good still finishes the run, with the files reported as not returned', () => {
  const steps = decide(observe({ ...finished(), artifacts: { state: 'failed', error: 'store down' } }), {
    config: s3,
  });
  const status = statusOf(steps);
  assert.is(status.phase, 'Succeeded');
  assert.is(status.artifacts, undefined);
  assert.equal(status.skippedArtifacts, [{ name: 'chart.png', reason: 'store-error', size: 10 }]);
});

test('without a store the files are reported as not kept', () => {
  const none = statusOf(decide(observe(finished()), { config: testConfig() }));
  assert.equal(none.skippedArtifacts, [{ name: 'chart.png', reason: 'no-store', size: 10 }]);
});

test('a failed program has no files at all: nothing is fetched, kept or skipped', () => {
  const failed = decide(observe(finished(makeReport({ exitCode: 1, artifacts: listed('chart.png') }))), {
    config: s3,
  });
  assert.equal(
    failed.map((s) => s.do),
    ['writeStatus', 'deletePod'],
  );
  assert.is(statusOf(failed).artifacts, undefined);
  assert.is(statusOf(failed).skippedArtifacts, undefined);
});

test('after a restart a started run reads its Pod log before attaching again', () => {
  const run = makeRun({}, { phase: 'Running', podName: 'hello-sandbox' });
  const pod = makePod(run, { state: { running: { startedAt: NOW } } });
  const steps = decide(observe({ run, pod }), { config: s3 });
  assert.equal(steps, [{ do: 'deliverJob', podName: 'hello-sandbox', afterRestart: true }]);
  const fresh = makeRun({}, { phase: 'Pending', podName: 'hello-sandbox' });
  const first = decide(observe({ run: fresh, pod }), { config: s3 }).find((s) => s.do === 'deliverJob');
  assert.equal(first, { do: 'deliverJob', podName: 'hello-sandbox', afterRestart: false });
});

test.run();
