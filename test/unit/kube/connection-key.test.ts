// What a pooled connection to the API server is keyed by: a new key means new connections.
import type { Cluster, User } from '@kubernetes/client-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectionKey } from '../../../src/kube/client.ts';

const cluster: Cluster = {
  name: 'c',
  server: 'https://10.0.0.1:6443',
  caFile: '/ca.crt',
  skipTLSVerify: false,
};
const user: User = { name: 'u', token: 'one' };
const at = (times: Record<string, number>) => (file: string) => times[file];

test('the same server, trust and certificate files give the same key', () => {
  assert.is(
    connectionKey(cluster, user, at({ '/ca.crt': 1 })),
    connectionKey(cluster, user, at({ '/ca.crt': 1 })),
  );
});

test('a new bearer token keeps the key: it travels in each request, not in the connection', () => {
  const rotated: User = { ...user, token: 'two' };
  assert.is(
    connectionKey(cluster, user, at({ '/ca.crt': 1 })),
    connectionKey(cluster, rotated, at({ '/ca.crt': 1 })),
  );
});

test('a rewritten CA or client certificate file, another server or other certificate data change the key', () => {
  const base = connectionKey(cluster, user, at({ '/ca.crt': 1 }));
  assert.is.not(connectionKey(cluster, user, at({ '/ca.crt': 2 })), base);
  assert.is.not(
    connectionKey({ ...cluster, server: 'https://10.0.0.2:6443' }, user, at({ '/ca.crt': 1 })),
    base,
  );
  const withCert: User = { ...user, certFile: '/client.crt', keyFile: '/client.key' };
  const certAt = (t: number) => at({ '/ca.crt': 1, '/client.crt': t, '/client.key': 1 });
  assert.is.not(connectionKey(cluster, withCert, certAt(1)), connectionKey(cluster, withCert, certAt(2)));
  assert.is.not(
    connectionKey(cluster, { ...user, certData: 'b' }, at({})),
    connectionKey(cluster, { ...user, certData: 'a' }, at({})),
  );
});

test.run();
