// The controller's keyed work queue: one key never runs twice at once, an add during its run runs it once
// more, delayed adds keep the earliest deadline, and a held queue takes keys but runs none until released.
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WorkQueue } from '../../../src/controller/work-queue.ts';

function recorder(ms = 0) {
  const ran: string[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const handler = async (key: string) => {
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    ran.push(key);
    await sleep(ms);
    concurrent--;
  };
  return { ran, handler, max: () => maxConcurrent };
}

test('a held queue takes keys but runs none until released, then runs each once', async () => {
  const r = recorder();
  const queue = new WorkQueue(r.handler, 4, { held: true });
  queue.add('a');
  queue.add('b');
  queue.add('a');
  await sleep(20);
  assert.equal(r.ran, []);
  assert.is(queue.depth, 2);
  queue.release();
  await queue.idle();
  assert.equal(r.ran, ['a', 'b']);
});

test('a key added while it runs runs once more afterwards, never twice at once', async () => {
  const r = recorder(20);
  const queue = new WorkQueue(r.handler, 4);
  queue.add('a');
  await sleep(5);
  queue.add('a');
  queue.add('a');
  await sleep(80);
  await queue.idle();
  assert.equal(r.ran, ['a', 'a']);
  assert.is(r.max(), 1);
});

test('a delayed add keeps the earliest deadline', async () => {
  const r = recorder();
  const queue = new WorkQueue(r.handler, 1);
  queue.addAfter('a', 1000);
  queue.addAfter('a', 10);
  queue.addAfter('a', 500);
  await sleep(60);
  assert.equal(r.ran, ['a']);
  queue.stop();
});

test.run();
