import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RunTimelines, STAGES, stageSeconds } from '../../../src/controller/run-timeline.ts';

test('a warm run passed from start to finish has every stage, in order, in seconds', () => {
  let now = 1000;
  const timelines = new RunTimelines(() => now);
  for (const [mark, at] of [
    ['seen', 1000],
    ['requested', 1004],
    ['ready', 1020],
    ['jobSent', 1021],
    ['reported', 1061],
    ['writing', 1065],
    ['finished', 1080],
  ] as const) {
    now = at;
    timelines.mark('uid-1', mark, mark === 'requested' ? 'warm' : undefined);
  }
  const timeline = timelines.get('uid-1');
  assert.is(timeline?.sandbox, 'warm');
  assert.equal(timeline && stageSeconds(timeline), [
    { stage: 'decide', seconds: 0.004 },
    { stage: 'sandbox', seconds: 0.016 },
    { stage: 'attach', seconds: 0.001 },
    { stage: 'program', seconds: 0.04 },
    { stage: 'settle', seconds: 0.004 },
    { stage: 'write', seconds: 0.015 },
  ]);
  assert.equal(
    STAGES.filter((s) => !s.within).map((s) => s.stage),
    ['decide', 'sandbox', 'attach', 'program', 'settle', 'write'],
  );
});

test("the runner's timings split the program hop into transport each way and the runner's steps", () => {
  let now = 1000;
  const timelines = new RunTimelines(() => now);
  timelines.mark('u', 'jobSent');
  now = 1100;
  const timeline = timelines.reported('u', {
    jobReceivedAt: 1010,
    programStartedMs: 2,
    programEndedMs: 42,
    reportMs: 45,
  });
  assert.equal(stageSeconds(timeline), [
    { stage: 'program', seconds: 0.1 },
    { stage: 'transport-in', seconds: 0.01 },
    { stage: 'runner-start', seconds: 0.002 },
    { stage: 'runner-program', seconds: 0.04 },
    { stage: 'runner-report', seconds: 0.003 },
    { stage: 'transport-out', seconds: 0.045 },
  ]);
  assert.equal(
    STAGES.filter((s) => s.within === 'program').map((s) => s.stage),
    ['transport-in', 'runner-start', 'runner-program', 'runner-report', 'transport-out'],
  );
});

test("a runner's clock behind or ahead of the controller's never makes a transport negative", () => {
  for (const jobReceivedAt of [900, 1090]) {
    let now = 1000;
    const timelines = new RunTimelines(() => now);
    timelines.mark('u', 'jobSent');
    now = 1100;
    const stages = stageSeconds(timelines.reported('u', { jobReceivedAt, reportMs: 30 }));
    const seconds = Object.fromEntries(stages.map((s) => [s.stage, s.seconds]));
    assert.ok(seconds['transport-in'] !== undefined && seconds['transport-in'] >= 0);
    assert.ok(seconds['transport-out'] !== undefined && seconds['transport-out'] >= 0);
    assert.is(Math.round((seconds['transport-in'] + seconds['transport-out']) * 1000), 70);
  }
});

test('a report without timings leaves the program hop whole', () => {
  let now = 0;
  const timelines = new RunTimelines(() => now);
  timelines.mark('u', 'jobSent');
  now = 50;
  assert.equal(stageSeconds(timelines.reported('u')), [{ stage: 'program', seconds: 0.05 }]);
});

test('only the first time of a mark counts: a second reconcile does not move "seen"', () => {
  let now = 5;
  const timelines = new RunTimelines(() => now);
  timelines.mark('u', 'seen');
  now = 50;
  timelines.mark('u', 'seen');
  assert.is(timelines.get('u')?.marks.seen, 5);
});

test('a run picked up after a restart reports only the stages it has both ends of', () => {
  const timeline = {
    sandbox: 'cold' as const,
    marks: { seen: 0, jobSent: 100, reported: 300, finished: 310 },
  };
  assert.equal(stageSeconds(timeline), [{ stage: 'program', seconds: 0.2 }]);
});

test('forget drops the timeline', () => {
  const timelines = new RunTimelines();
  timelines.mark('u', 'seen');
  timelines.forget('u');
  assert.is(timelines.get('u'), undefined);
  assert.equal([...timelines.keys()], []);
});

test.run();
