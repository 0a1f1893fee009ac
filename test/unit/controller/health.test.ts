// Liveness and readiness of a controller replica (pure), and the small server that answers them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type ControllerState,
  liveness,
  READY_WATCH_GRACE_MS,
  readiness,
} from '../../../src/controller/health.ts';
import { ControllerMetrics } from '../../../src/controller/metrics.ts';
import { startControllerServer } from '../../../src/controller/server.ts';
import type { InformerHealth } from '../../../src/kube/informer.ts';
import { createLogger } from '../../../src/log.ts';

const BOUND_MS = 120_000;

function informer(fields: Partial<InformerHealth> = {}): InformerHealth {
  return {
    what: 'coderuns in sandbox',
    synced: true,
    watching: true,
    downForMs: 0,
    lastError: undefined,
    ...fields,
  };
}

function leader(informers: InformerHealth[], started = true): ControllerState {
  return { role: 'leader', started, informers };
}

const STANDBY: ControllerState = { role: 'standby', started: false, informers: [] };

test('a standby waiting for the Lease is alive and ready, and says it is a standby', () => {
  assert.equal(readiness(STANDBY), {
    ok: true,
    body: { status: 'ok', role: 'standby', detail: 'standby: waiting for the Lease' },
  });
  assert.is(liveness(STANDBY, BOUND_MS).ok, true);
  assert.is(liveness(STANDBY, BOUND_MS).body.role, 'standby');
});

test('a leader whose informers are synced and watching is ready, and says it is the leader', () => {
  const v = readiness(leader([informer(), informer({ what: 'sandbox pods in sandbox' })]));
  assert.is(v.ok, true);
  assert.equal([v.body.status, v.body.role], ['ok', 'leader']);
  assert.match(v.body.detail, '2 informers synced and watching');
});

test('a leader still starting its informers is alive but not ready', () => {
  const state = leader([], false);
  assert.is(readiness(state).ok, false);
  assert.match(readiness(state).body.detail, 'starting its informers');
  assert.is(liveness(state, BOUND_MS).ok, true);
});

test('a leader with an informer that has not listed yet is not ready, naming it and its error', () => {
  const v = readiness(
    leader([
      informer(),
      informer({ what: 'sandbox pools in sandbox', synced: false, watching: false, lastError: 'HTTP 403' }),
    ]),
  );
  assert.is(v.ok, false);
  assert.equal([v.body.status, v.body.role], ['unavailable', 'leader']);
  assert.match(v.body.detail, 'sandbox pools in sandbox (last error: HTTP 403)');
});

test('a watch that is reconnecting keeps the leader ready; one down past the grace makes it unready', () => {
  assert.is(readiness(leader([informer({ watching: false, downForMs: 200 })])).ok, true);
  const down = readiness(leader([informer({ watching: false, downForMs: READY_WATCH_GRACE_MS })]));
  assert.is(down.ok, false);
  assert.match(down.body.detail, 'coderuns in sandbox: no watch for 30 s');
});

test('liveness fails once a watch has been down for the bound, naming the informer and its last error', () => {
  const below = leader([informer({ watching: false, downForMs: BOUND_MS - 1, lastError: 'ECONNREFUSED' })]);
  assert.is(liveness(below, BOUND_MS).ok, true);
  const stuck = leader([
    informer(),
    informer({
      what: 'sandbox pods in sandbox',
      watching: false,
      downForMs: BOUND_MS,
      lastError: 'ECONNREFUSED',
    }),
  ]);
  const v = liveness(stuck, BOUND_MS);
  assert.is(v.ok, false);
  assert.equal(v.body, {
    status: 'unavailable',
    role: 'leader',
    detail: 'sandbox pods in sandbox: no watch for 120 s (last error: ECONNREFUSED)',
  });
});

test('an informer that never opened a watch counts as down since it started', () => {
  const never = leader([informer({ synced: false, watching: false, downForMs: BOUND_MS + 5000 })]);
  assert.is(liveness(never, BOUND_MS).ok, false);
});

// ---------------------------------------------------------------------------------------------------
// The server

test('the server answers /healthz and /readyz with the verdict and its code, and /metrics as Prometheus text', async () => {
  let state: ControllerState = STANDBY;
  const metrics = new ControllerMetrics();
  metrics.attachFailed();
  const server = await startControllerServer({
    host: '127.0.0.1',
    port: 0,
    state: () => state,
    metrics,
    watchLivenessSeconds: 120,
    log: createLogger('silent', 'test'),
  });
  const base = `http://127.0.0.1:${server.port}`;
  try {
    let res = await fetch(`${base}/readyz`);
    assert.is(res.status, 200);
    assert.equal(await res.json(), {
      status: 'ok',
      role: 'standby',
      detail: 'standby: waiting for the Lease',
    });

    state = leader([informer({ watching: false, downForMs: 200_000, synced: true })]);
    res = await fetch(`${base}/healthz`);
    assert.is(res.status, 503);
    assert.is((await res.json()).role, 'leader');
    res = await fetch(`${base}/readyz`);
    assert.is(res.status, 503);
    await res.body?.cancel();

    res = await fetch(`${base}/metrics`);
    assert.is(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', 'text/plain');
    assert.match(await res.text(), 'coderun_controller_attach_failures_total 1');

    res = await fetch(`${base}/nope`);
    assert.is(res.status, 404);
    await res.body?.cancel();
    res = await fetch(`${base}/healthz`, { method: 'POST' });
    assert.is(res.status, 405);
    await res.body?.cancel();
  } finally {
    await server.close();
  }
});

test('the server refuses to start on a port that is taken, rather than running without probes', async () => {
  const log = createLogger('silent', 'test');
  const opts = {
    host: '127.0.0.1',
    state: () => STANDBY,
    metrics: new ControllerMetrics(),
    watchLivenessSeconds: 120,
    log,
  };
  const first = await startControllerServer({ ...opts, port: 0 });
  try {
    await startControllerServer({ ...opts, port: first.port }).then(
      () => assert.unreachable('a second server started on the same port'),
      (err: Error) => assert.match(err.message, 'EADDRINUSE'),
    );
  } finally {
    await first.close();
  }
});

test.run();
