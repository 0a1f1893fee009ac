// Liveness and readiness of a controller replica (pure); the small server that answers them is
// test/component/controller/health-server.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type ControllerState,
  liveness,
  READY_WATCH_GRACE_MS,
  readiness,
} from '../../../src/controller/health.ts';
import type { InformerHealth } from '../../../src/kube/informer.ts';

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

test.run();
