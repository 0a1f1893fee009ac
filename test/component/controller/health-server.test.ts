// The small server that answers a controller replica's liveness and readiness probes and /metrics, on a
// loopback socket.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ControllerState } from '../../../src/controller/health.ts';
import { ControllerMetrics } from '../../../src/controller/metrics.ts';
import { startControllerServer } from '../../../src/controller/server.ts';
import type { InformerHealth } from '../../../src/kube/informer.ts';
import { createLogger } from '../../../src/log.ts';

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

/** Runs `fn` against a controller server on a loopback port that reports `state`, then closes it. */
async function withServer(state: () => ControllerState, fn: (base: string) => Promise<void>) {
  const metrics = new ControllerMetrics();
  metrics.attachFailed();
  const server = await startControllerServer({
    host: '127.0.0.1',
    port: 0,
    state,
    metrics,
    watchLivenessSeconds: 120,
    log: createLogger('silent', 'test'),
  });
  try {
    await fn(`http://127.0.0.1:${server.port}`);
  } finally {
    await server.close();
  }
}

test('the server answers /readyz with the verdict and 200 when ready', async () => {
  await withServer(
    () => STANDBY,
    async (base) => {
      const res = await fetch(`${base}/readyz`);
      assert.is(res.status, 200);
      assert.equal(await res.json(), {
        status: 'ok',
        role: 'standby',
        detail: 'standby: waiting for the Lease',
      });
    },
  );
});

test('the server answers /healthz and /readyz with 503 and its role when the verdict, taken at each request, fails', async () => {
  let state: ControllerState = STANDBY;
  await withServer(
    () => state,
    async (base) => {
      state = leader([informer({ watching: false, downForMs: 200_000, synced: true })]);
      let res = await fetch(`${base}/healthz`);
      assert.is(res.status, 503);
      assert.is((await res.json()).role, 'leader');
      res = await fetch(`${base}/readyz`);
      assert.is(res.status, 503);
      await res.body?.cancel();
    },
  );
});

test('the server answers /metrics as Prometheus text', async () => {
  await withServer(
    () => STANDBY,
    async (base) => {
      const res = await fetch(`${base}/metrics`);
      assert.is(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', 'text/plain');
      assert.match(await res.text(), 'coderun_controller_attach_failures_total 1');
    },
  );
});

test('the server answers an unknown path with 404 and a POST with 405', async () => {
  await withServer(
    () => STANDBY,
    async (base) => {
      let res = await fetch(`${base}/nope`);
      assert.is(res.status, 404);
      await res.body?.cancel();
      res = await fetch(`${base}/healthz`, { method: 'POST' });
      assert.is(res.status, 405);
      await res.body?.cancel();
    },
  );
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
