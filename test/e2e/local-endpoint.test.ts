// End to end through `make up`'s endpoint: localhost:9385 on this machine, which is the API Service's NodePort
// (hack/up.sh; kube-proxy serves node ports on loopback, hack/cluster/up.sh). It used to be a kubectl
// port-forward, one tunnel for every connection, and one bad client broke it for all: a 3 MiB body answered
// 413 ended it with "write: broken pipe" / "lost connection to pod", every request in flight failed and new
// ones were refused until it was restarted. Here the kernel forwards each connection on its own, so bad
// clients only ever hurt their own connection. The test runs `make up` itself (a few seconds when it is up).
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CodeRunClient } from '../../src/coderun/client.ts';
import type { KubeClients } from '../../src/kube/client.ts';
import { waitFor } from '../harness/cluster-actors.ts';
import { setUpSuite } from '../suite-setup.ts';
import { background, LOCAL_API, LOCAL_SANDBOX_NAMESPACE, localRelease, postLocalRun } from './support.ts';

const BODY_LIMIT = 2 * 2 ** 20; // the chart's api.bodyLimitBytes
const SLEEPER = 'import time\n\ndef main(seconds):\n    time.sleep(seconds)\n    return {"slept": seconds}\n';

let token: string;
let kube: KubeClients;

setUpSuite(test, 'local endpoint e2e', async () => {
  ({ token, kube } = await localRelease());
});

interface Exchange {
  /** Everything the server sent, as text. */
  response: string;
  /** The socket error, if any: ECONNREFUSED would mean the endpoint is down; EPIPE/ECONNRESET are ours. */
  error?: string;
}

/**
 * One raw TCP connection to the endpoint: `drive` writes what it likes (and may destroy the socket); resolves
 * with what came back once the connection is closed.
 */
function exchange(drive: (socket: Socket) => Promise<void> | void, timeoutMs = 30_000): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = connect(LOCAL_API.port, LOCAL_API.host);
    const chunks: Buffer[] = [];
    let error: string | undefined;
    const timer = setTimeout(() => {
      error ??= 'timeout';
      socket.destroy();
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      error ??= err.code ?? err.message;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ response: Buffer.concat(chunks).toString('latin1'), error });
    });
    socket.on('connect', () => {
      Promise.resolve(drive(socket)).catch((err) => {
        error ??= String(err);
        socket.destroy();
      });
    });
  });
}

const requestHead = (length: number) =>
  `POST /run HTTP/1.1\r\nHost: localhost:${LOCAL_API.port}\r\nAuthorization: Bearer ${token}\r\n` +
  `Content-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

/** Writes `data` in 64 KiB pieces as fast as the socket takes them; stops when the socket goes away. */
async function writeAll(socket: Socket, data: Buffer): Promise<void> {
  for (let offset = 0; offset < data.length && !socket.destroyed; offset += 65536) {
    if (!socket.write(data.subarray(offset, offset + 65536)))
      await Promise.race([once(socket, 'drain'), once(socket, 'close')]);
  }
}

/**
 * A POST /run with a 3 MiB body, over the API's limit. The API answers 413 as soon as it has the headers and
 * closes the connection; the body still being sent then meets a reset (EPIPE or ECONNRESET here), which can
 * also discard the answer before it is read. A `patient` client waits for the answer before it sends the
 * body, as curl does with `Expect: 100-continue`; a `blind` one sends it all at once.
 */
const oversize = (how: 'patient' | 'blind') =>
  exchange(async (socket) => {
    const body = Buffer.alloc(3 * 2 ** 20, 'a');
    socket.write(requestHead(body.length));
    if (how === 'patient') await Promise.race([once(socket, 'data'), once(socket, 'close'), delay(5000)]);
    await writeAll(socket, body);
    if (!socket.destroyed) socket.end();
  });

/** A POST /run whose client goes away 64 KiB into a 1 MiB body: with a TCP reset, or with a plain close. */
const aborted = (how: 'reset' | 'close') =>
  exchange(async (socket) => {
    socket.write(requestHead(2 ** 20));
    await writeAll(socket, Buffer.alloc(65536, '{'));
    await delay(100);
    if (how === 'reset') socket.resetAndDestroy();
    else socket.destroy();
  });

/** Bytes that are not HTTP: a TLS ClientHello's first bytes and binary noise, then the client half-closes. */
const garbage = () =>
  exchange((socket) => {
    const noise = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));
    socket.end(Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]), noise]));
  });

/** GET /healthz; the time it took. */
async function health(): Promise<number> {
  const started = Date.now();
  const res = await fetch(`http://${LOCAL_API.host}:${LOCAL_API.port}/healthz`, {
    signal: AbortSignal.timeout(10_000),
  });
  assert.is(res.status, 200, 'GET /healthz');
  await res.text();
  return Date.now() - started;
}

async function apiRestarts(): Promise<number> {
  const pods = await kube.core.listNamespacedPod({
    namespace: 'coderun',
    labelSelector: 'app.kubernetes.io/component=api',
  });
  return pods.items.reduce(
    (n, pod) => n + (pod.status?.containerStatuses ?? []).reduce((m, c) => m + c.restartCount, 0),
    0,
  );
}

test('oversize, aborted and garbage requests on localhost:9385 leave a run in flight and later requests unharmed', async () => {
  const restartsBefore = await apiRestarts();
  const runs = new CodeRunClient(kube);
  const known = new Set((await runs.list(LOCAL_SANDBOX_NAMESPACE)).items.map((r) => r.metadata.name));
  const seconds = 7; // under the release's default timeout (10 s)
  const inFlight = background(postLocalRun(token, { code: SLEEPER, arguments: { seconds } }));
  await waitFor('the run to be running in its sandbox', async () =>
    (await runs.list(LOCAL_SANDBOX_NAMESPACE)).items.some(
      (r) => !known.has(r.metadata.name) && r.status?.phase === 'Running',
    ),
  );

  for (let round = 1; round <= 2; round++) {
    const [big, blind, reset, closed, noise] = await Promise.all([
      oversize('patient'),
      oversize('blind'),
      aborted('reset'),
      aborted('close'),
      garbage(),
    ]);
    const what = `round ${round}`;
    for (const [name, result] of Object.entries({ big, blind, reset, closed, noise }))
      assert.is.not(result.error, 'ECONNREFUSED', `${what}: ${name} was refused: the endpoint is down`);
    assert.match(big.response, /^HTTP\/1\.1 413 /, `${what}: 3 MiB body: ${JSON.stringify(big)}`);
    assert.match(big.response, String(BODY_LIMIT), 'the 413 names the limit');
    if (blind.response) assert.match(blind.response, /^HTTP\/1\.1 413 /, `${what}: 3 MiB body sent blind`);
    assert.match(noise.response, /^HTTP\/1\.1 400 /, `${what}: garbage: ${JSON.stringify(noise)}`);
    // Right after the abuse, the endpoint answers at once.
    assert.ok((await health()) < 2000, `${what}: /healthz was slow`);
  }

  const reply = await inFlight;
  assert.is(reply.status, 200, JSON.stringify(reply.body));
  assert.is(reply.body.status, 'success', JSON.stringify(reply.body));
  assert.equal(reply.body.result?.value, { slept: seconds });

  const after = await postLocalRun(token, { code: 'def main():\n    return "still here"\n' });
  assert.is(after.body.status, 'success', JSON.stringify(after.body));
  assert.is(after.body.result?.value, 'still here');
  assert.is(await apiRestarts(), restartsBefore, 'the API container did not restart');
});

test.run();
