import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SlidingWindowLimiter } from '../../../src/api/rate-limit.ts';

test('up to max requests in a window are allowed, the next is told how long to wait', () => {
  let now = 1_000;
  const limiter = new SlidingWindowLimiter(2, 60_000, () => now);
  assert.is(limiter.hit('a'), 0);
  now += 10_000;
  assert.is(limiter.hit('a'), 0);
  now += 5_000;
  assert.is(limiter.hit('a'), 45_000);
});

test('the window slides: the oldest request leaving frees a slot', () => {
  let now = 0;
  const limiter = new SlidingWindowLimiter(1, 1_000, () => now);
  assert.is(limiter.hit('a'), 0);
  now = 999;
  assert.ok(limiter.hit('a') > 0);
  now = 1_001;
  assert.is(limiter.hit('a'), 0);
});

test('peek tells the wait without recording a hit', () => {
  let now = 0;
  const limiter = new SlidingWindowLimiter(2, 1_000, () => now);
  assert.is(limiter.peek('a'), 0);
  assert.is(limiter.hit('a'), 0);
  assert.is(limiter.peek('a'), 0);
  assert.is(limiter.hit('a'), 0);
  now = 100;
  assert.is(limiter.peek('a'), 900);
});

test('a refused hit is not recorded', () => {
  let now = 0;
  const limiter = new SlidingWindowLimiter(2, 1_000, () => now);
  assert.is(limiter.hit('a'), 0);
  assert.is(limiter.hit('a'), 0);
  now = 100;
  assert.is(limiter.hit('a'), 900);
  now = 1_001;
  assert.is(limiter.hit('a'), 0, 'the refused hit at 100 did not extend the window');
});

test('clients are limited separately', () => {
  const limiter = new SlidingWindowLimiter(1, 60_000, () => 0);
  assert.is(limiter.hit('a'), 0);
  assert.is(limiter.hit('b'), 0);
  assert.ok(limiter.hit('a') > 0);
});

test.run();
