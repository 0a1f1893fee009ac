// Dialing the embedded store where cluster DNS cannot resolve its Service name (the local cluster has none).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { reachableEndpoint } from '../../../src/artifacts/s3-store.ts';

test('a Service name DNS cannot resolve is dialed at the cluster IP the Kubernetes API gives', async () => {
  const asked: string[] = [];
  const lookup = async (namespace: string, name: string) => {
    asked.push(`${namespace}/${name}`);
    return '10.96.0.42';
  };
  assert.is(
    await reachableEndpoint('http://coderun-artifacts.coderun.svc:7070', lookup),
    'http://10.96.0.42:7070',
  );
  assert.is(
    await reachableEndpoint('http://store.ns.svc.cluster.local:7070', lookup),
    'http://10.96.0.42:7070',
  );
  assert.equal(asked, ['coderun/coderun-artifacts', 'ns/store']);
});

test('other endpoints are dialed as configured, and a missing Service leaves the name as it is', async () => {
  const never = async () => {
    throw new Error('not asked');
  };
  for (const endpoint of [
    'http://minio.example:9000',
    'https://s3.amazonaws.com',
    'http://127.0.0.1:9000',
    '',
  ])
    assert.is(await reachableEndpoint(endpoint, never), endpoint);
  assert.is(
    await reachableEndpoint('http://gone.coderun.svc:7070', async () => null),
    'http://gone.coderun.svc:7070',
  );
});

test.run();
