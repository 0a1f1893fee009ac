// createPatiently: a create refused because the quota is not counted yet, or lost a race on its usage, is
// tried again with backoff until it succeeds or its time is up; any other refusal is thrown at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPatiently } from '../../../src/kube/patient-create.ts';

function apiError(code: number, reason: string, message: string): Error {
  const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message };
  return Object.assign(new Error(`HTTP-Code: ${code}`), { code, body: JSON.stringify(status) });
}
const pending = apiError(
  403,
  'Forbidden',
  'coderuns.coderun.dev "self-test-1" is forbidden: status unknown for quota: coderun-sandbox, resources: count/coderuns.coderun.dev',
);
const race = apiError(409, 'Conflict', 'Operation cannot be fulfilled on resourcequotas "coderun-sandbox"');
const denied = apiError(
  403,
  'Forbidden',
  'coderuns.coderun.dev is forbidden: User "x" cannot create resource',
);

/** A clock that only moves when the code under test sleeps, and a create that fails with `errors` first. */
function script(errors: Error[]) {
  let clock = 0;
  const waits: number[] = [];
  let calls = 0;
  return {
    waits,
    calls: () => calls,
    create: async () => {
      calls++;
      const err = errors.shift();
      if (err) throw err;
      return 'created';
    },
    options: (maxWaitMs: number) => ({
      maxWaitMs,
      now: () => clock,
      sleep: async (ms: number) => {
        waits.push(ms);
        clock += ms;
      },
    }),
  };
}

test('a quota not counted yet is waited out with doubling delays; a race on its usage is tried again at once', async () => {
  const s = script([pending, pending, race, pending]);
  assert.is(await createPatiently(s.create, s.options(60_000)), 'created');
  assert.is(s.calls(), 5);
  const [first, second, afterRace, third] = s.waits;
  assert.equal([first, second, third], [250, 500, 1000]);
  assert.ok(afterRace !== undefined && afterRace >= 10 && afterRace < 50, String(afterRace));
});

test('races that do not clear are thrown after 5 more tries', async () => {
  const s = script(Array.from({ length: 10 }, () => race));
  const err = await createPatiently(s.create, s.options(60_000)).catch((e: unknown) => e);
  assert.is(err, race);
  assert.is(s.calls(), 6);
});

test('the delay stops growing at maxDelayMs (5 s unless given)', async () => {
  const s = script(Array.from({ length: 8 }, () => pending));
  await createPatiently(s.create, s.options(300_000));
  assert.equal(s.waits.slice(-3), [5000, 5000, 5000]);
  const capped = script(Array.from({ length: 8 }, () => pending));
  await createPatiently(capped.create, { ...capped.options(300_000), maxDelayMs: 2000 });
  assert.equal(capped.waits.slice(-3), [2000, 2000, 2000]);
});

test('past maxWaitMs the last refusal is thrown', async () => {
  const s = script(Array.from({ length: 100 }, () => pending));
  const err = await createPatiently(s.create, s.options(4000)).catch((e: unknown) => e);
  assert.is(err, pending);
  assert.ok(s.waits.reduce((a, b) => a + b, 0) <= 4000, String(s.waits));
});

test('any other refusal is thrown at once', async () => {
  const s = script([denied]);
  const err = await createPatiently(s.create, s.options(60_000)).catch((e: unknown) => e);
  assert.is(err, denied);
  assert.equal(s.waits, []);
});

test('an aborted signal ends the wait with the refusal', async () => {
  const s = script([pending, pending]);
  const abort = new AbortController();
  abort.abort();
  const err = await createPatiently(s.create, { ...s.options(60_000), signal: abort.signal }).catch(
    (e: unknown) => e,
  );
  assert.is(err, pending);
});

test.run();
