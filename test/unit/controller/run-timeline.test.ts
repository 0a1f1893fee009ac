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
    STAGES.map((s) => s.stage),
    ['decide', 'sandbox', 'attach', 'program', 'settle', 'write'],
  );
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
