// Rate limits that protect without throttling: only failed authentications are charged to a client address,
// the run quota is per token. Through fastify.inject (the address is inject's remoteAddress) with the stand-in
// run service, which answers at once; and the AccessControl rules over a fake clock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AccessControl, KNOWN_CLIENT_MS } from '../../../src/api/access.ts';
import { loadApiConfig } from '../../../src/config/api.ts';
import { standInServer, TOKEN } from '../../fuzz/api-fuzz.ts';

const RUN = { code_b64: Buffer.from('def main():\n    return 1\n').toString('base64'), language: 'python' };
const GOOD = { authorization: `Bearer ${TOKEN}` };
const BAD = { authorization: 'Bearer guess' };

type App = Awaited<ReturnType<typeof standInServer>>['app'];
const run = (app: App, headers: Record<string, string>, remoteAddress = '10.0.0.1') =>
  app.inject({ method: 'POST', url: '/run', payload: RUN, headers, remoteAddress });

test('300 authenticated runs within a minute from one address are all accepted (default limits)', async () => {
  const { app } = await standInServer({ SANDBOX_EXECUTOR_MANAGER_API_TOKEN: TOKEN });
  const statuses = new Map<number, number>();
  for (let i = 0; i < 300; i++) {
    const { statusCode } = await run(app, GOOD);
    statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
  }
  assert.equal([...statuses], [[200, 300]]);
});

test('40 bad tokens: 401 up to the budget, then 429 with Retry-After; the right token from that address keeps working', async () => {
  const { app } = await standInServer({ SANDBOX_EXECUTOR_MANAGER_API_TOKEN: TOKEN });
  assert.is((await run(app, GOOD)).statusCode, 200);
  const bad: number[] = [];
  for (let i = 0; i < 40; i++) {
    const res = await run(app, BAD);
    bad.push(res.statusCode);
    if (res.statusCode === 429) {
      assert.ok(Number(res.headers['retry-after']) > 0);
      assert.is(res.json().exit_code, -429);
    }
    assert.is((await run(app, GOOD)).statusCode, 200, `good token after bad #${i + 1}`);
  }
  assert.equal(bad, [...Array(30).fill(401), ...Array(10).fill(429)]);
});

test('an address over its budget that never authenticated gets 429 before its token is compared', async () => {
  const { app } = await standInServer({
    SANDBOX_EXECUTOR_MANAGER_API_TOKEN: TOKEN,
    SANDBOX_RUN_PREAUTH_RATE_LIMIT: '3/minute',
  });
  for (let i = 0; i < 3; i++) assert.is((await run(app, BAD)).statusCode, 401);
  const res = await run(app, GOOD);
  assert.is(res.statusCode, 429);
  assert.ok(Number(res.headers['retry-after']) > 0);
});

test('the failed-authentication budget is per address: a neighbour is not blocked', async () => {
  const { app } = await standInServer({
    SANDBOX_EXECUTOR_MANAGER_API_TOKEN: TOKEN,
    SANDBOX_RUN_PREAUTH_RATE_LIMIT: '2/minute',
  });
  for (let i = 0; i < 3; i++) await run(app, BAD, '10.0.0.1');
  assert.is((await run(app, BAD, '10.0.0.1')).statusCode, 429);
  assert.is((await run(app, BAD, '10.0.0.2')).statusCode, 401);
  assert.is((await run(app, GOOD, '10.0.0.2')).statusCode, 200);
});

test('the run quota is per token, not per address: addresses sharing the token share it', async () => {
  const { app } = await standInServer({
    SANDBOX_EXECUTOR_MANAGER_API_TOKEN: TOKEN,
    SANDBOX_RUN_RATE_LIMIT: '3/minute',
  });
  for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.3'])
    assert.is((await run(app, GOOD, address)).statusCode, 200);
  const res = await run(app, GOOD, '10.0.0.4');
  assert.is(res.statusCode, 429);
  assert.equal(
    [res.json().exit_code, res.json().stderr],
    [-429, 'Too many requests, please try again later'],
  );
  assert.ok(Number(res.headers['retry-after']) > 0);
});

test('the native API words refusals in the problem shape: 401, 429 with Retry-After, 503', async () => {
  const { app } = await standInServer({
    SANDBOX_EXECUTOR_MANAGER_API_TOKEN: TOKEN,
    SANDBOX_RUN_PREAUTH_RATE_LIMIT: '1/minute',
  });
  const read = (headers: Record<string, string>) =>
    app.inject({ url: '/v1/runs/run-000000000001', headers, remoteAddress: '10.0.0.9' });
  const denied = await read(BAD);
  assert.is(denied.statusCode, 401);
  assert.is(denied.json().error, 'Unauthorized');
  const throttled = await read(BAD);
  assert.is(throttled.statusCode, 429);
  assert.is(throttled.json().error, 'TooManyRequests');
  assert.match(throttled.json().message, 'failed authentications');
  assert.ok(Number(throttled.headers['retry-after']) > 0);
  const closed = await (await standInServer({})).app.inject({ url: '/v1/runs/run-000000000001' });
  assert.is(closed.statusCode, 503);
  assert.equal(closed.json().error, 'TokenNotConfigured');
});

// ---------------------------------------------------------------------------------------------------
// The rules over time (AccessControl with a fake clock)

function access(env: Record<string, string>) {
  const clock = { now: 1_000_000 };
  const config = loadApiConfig({ SANDBOX_EXECUTOR_MANAGER_API_TOKEN: TOKEN, ...env });
  return { clock, control: new AccessControl({ config, now: () => clock.now }) };
}
const status = (refusal: { status: number } | null) => refusal?.status ?? 200;

test('the failed-authentication window slides: a blocked address may try again a minute after its failures', () => {
  const { clock, control } = access({ SANDBOX_RUN_PREAUTH_RATE_LIMIT: '2/minute' });
  assert.is(status(control.admit('a', BAD)), 401);
  assert.is(status(control.admit('a', BAD)), 401);
  const blocked = control.admit('a', GOOD);
  assert.equal(blocked, { status: 429, reason: 'auth_throttled', retryAfterSeconds: 60 });
  clock.now += 60_001;
  assert.is(status(control.admit('a', GOOD)), 200);
});

test('an address stays known for a day after its last success, then a block applies to it again', () => {
  const { clock, control } = access({ SANDBOX_RUN_PREAUTH_RATE_LIMIT: '1/hour' });
  assert.is(status(control.admit('nat', GOOD)), 200);
  clock.now += KNOWN_CLIENT_MS - 2 * 3_600_000;
  assert.is(status(control.admit('nat', BAD)), 401);
  assert.is(status(control.admit('nat', BAD)), 429);
  assert.is(status(control.admit('nat', GOOD)), 200, 'known: the right token passes');
  clock.now += KNOWN_CLIENT_MS + 1;
  assert.is(status(control.admit('nat', BAD)), 401, 'the hour has passed: a new budget');
  assert.is(status(control.admit('nat', GOOD)), 429, 'no longer known: refused before comparing');
});

test('"unlimited" turns a limit off', () => {
  const { control } = access({
    SANDBOX_RUN_PREAUTH_RATE_LIMIT: 'unlimited',
    SANDBOX_RUN_RATE_LIMIT: 'unlimited',
  });
  for (let i = 0; i < 5_000; i++) assert.is(status(control.admit('a', BAD)), 401);
  for (let i = 0; i < 20_000; i++) assert.is(status(control.admit('a', GOOD)), 200);
});

test('without a token, unauthenticated use (when allowed) is limited per address', () => {
  const open = access({
    SANDBOX_EXECUTOR_MANAGER_API_TOKEN: '',
    SANDBOX_EXECUTOR_MANAGER_ALLOW_UNAUTHENTICATED: 'true',
    SANDBOX_RUN_RATE_LIMIT: '1/minute',
  }).control;
  assert.is(status(open.admit('a', {})), 200);
  assert.is(status(open.admit('a', {})), 429);
  assert.is(status(open.admit('b', {})), 200);
});

test('without a token, and unauthenticated use not allowed, every request is 503 no_token_configured', () => {
  const closed = access({ SANDBOX_EXECUTOR_MANAGER_API_TOKEN: '' }).control;
  assert.equal(closed.admit('a', GOOD), { status: 503, reason: 'no_token_configured' });
});

test.run();
