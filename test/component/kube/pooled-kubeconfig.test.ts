// The controller's and the API's Kubernetes clients keep their connections to the API server: a loopback
// HTTPS server counts the TLS connections that requests through each KubeConfig open.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PooledKubeConfig } from '../../../src/kube/client.ts';

interface Fixture {
  dir: string;
  caFile: string;
  server: Server;
  url: string;
  /** TLS connections the server has accepted, and how many of them are closed. */
  opened: number;
  closed: number;
}

async function startServer(): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'coderun-pooled-kc-'));
  const key = join(dir, 'server.key');
  const caFile = join(dir, 'server.crt');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1']
      .concat(['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'])
      .concat(['-keyout', key, '-out', caFile]),
    { stdio: 'pipe' },
  );
  const fixture = { dir, caFile, opened: 0, closed: 0 } as Fixture;
  fixture.server = createServer({ key: readFileSync(key), cert: readFileSync(caFile) }, (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' }, req: req.url }),
    );
  });
  fixture.server.on('secureConnection', (socket) => {
    fixture.opened++;
    socket.on('close', () => fixture.closed++);
  });
  await new Promise<void>((resolve) => fixture.server.listen(0, '127.0.0.1', resolve));
  fixture.url = `https://127.0.0.1:${(fixture.server.address() as AddressInfo).port}`;
  return fixture;
}

async function stopServer(fixture: Fixture): Promise<void> {
  fixture.server.closeAllConnections();
  await new Promise((resolve) => fixture.server.close(resolve));
  rmSync(fixture.dir, { recursive: true, force: true });
}

function configFor(kc: KubeConfig, fixture: Fixture): KubeConfig {
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: fixture.url, caFile: fixture.caFile, skipTLSVerify: false }],
    users: [{ name: 'u', token: 'a-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}

async function readNamespaces(kc: KubeConfig, times: number): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  for (let i = 0; i < times; i++) {
    const ns = await core.readNamespace({ name: 'default' });
    assert.is(ns.metadata?.name, 'default');
  }
}

// undici may open a second connection while the first is still being handed back to its pool after a response.
const KEPT = 2;

test('sequential requests through a PooledKubeConfig keep their TLS connections', async () => {
  const fixture = await startServer();
  try {
    await readNamespaces(configFor(new PooledKubeConfig(), fixture), 10);
    assert.ok(fixture.opened >= 1 && fixture.opened <= KEPT, `${fixture.opened} connections for 10 requests`);
  } finally {
    await stopServer(fixture);
  }
});

test("client-node's own KubeConfig opens a connection per request (why PooledKubeConfig exists)", async () => {
  const fixture = await startServer();
  try {
    await readNamespaces(configFor(new KubeConfig(), fixture), 10);
    assert.is(fixture.opened, 10);
  } finally {
    await stopServer(fixture);
  }
});

test('a changed certificate file gets a new connection, and the old pool is closed', async () => {
  const fixture = await startServer();
  try {
    const kc = configFor(new PooledKubeConfig(), fixture);
    await readNamespaces(kc, 4);
    const before = fixture.opened;
    assert.ok(before <= KEPT);
    const later = new Date(Date.now() + 60_000);
    utimesSync(fixture.caFile, later, later);
    await readNamespaces(kc, 4);
    assert.ok(fixture.opened > before, 'the next request opened a connection of its own');
    assert.ok(fixture.opened <= 2 * KEPT);
    for (let i = 0; i < 50 && fixture.closed < before; i++) await new Promise((r) => setTimeout(r, 20));
    assert.is(
      fixture.closed,
      before,
      "the old pool's connections are closed once they have nothing left to carry",
    );
  } finally {
    await stopServer(fixture);
  }
});

test.run();
