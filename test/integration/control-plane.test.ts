// Smoke test for the control-plane harness: the API serves and persists objects, and kube-controller-manager's
// garbage collector deletes dependents of a deleted owner.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiException, CoreV1Api } from '@kubernetes/client-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startControlPlane } from '../harness/control-plane.ts';

// Found through /proc rather than the harness's own bookkeeping, so stop() is checked independently.
function pidsMentioning(dir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
      } catch {
        return false; // exited while we looked
      }
    })
    .map(Number);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForPodGone(core: CoreV1Api, namespace: string, name: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await core.readNamespacedPod({ namespace, name });
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return true;
      throw err;
    }
    await sleep(250);
  }
  return false;
}

test('control plane stores objects and garbage-collects dependents', async () => {
  const plane = await startControlPlane({ log: (msg) => console.log(msg) });
  const pids = pidsMentioning(plane.dir);
  try {
    assert.is(pids.length, 3, 'etcd, kube-apiserver and kube-controller-manager running');
    assert.match(plane.server, /^https:\/\/127\.0\.0\.1:\d+$/);

    const core = plane.kubeConfig.makeApiClient(CoreV1Api);
    const namespace = 'smoke';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const owner = await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'owner' }, data: { key: 'value' } },
    });
    const ownerReference = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: 'owner',
      uid: owner.metadata?.uid ?? '',
      controller: true,
      blockOwnerDeletion: true,
    };
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: 'owned', ownerReferences: [ownerReference] },
        spec: { containers: [{ name: 'main', image: 'busybox' }] },
      },
    });
    const pod = await core.readNamespacedPod({ namespace, name: 'owned' });
    assert.is(pod.metadata?.ownerReferences?.[0]?.uid, owner.metadata?.uid);

    await core.deleteNamespacedConfigMap({ namespace, name: 'owner' });
    assert.ok(await waitForPodGone(core, namespace, 'owned', 30_000), 'pod garbage-collected within 30 s');
  } finally {
    await plane.stop();
  }
  assert.equal(pids.filter(isAlive), [], 'no control-plane process left after stop()');
  assert.not.ok(existsSync(plane.dir), 'temp dir removed');
  await plane.stop(); // idempotent
});

test.run();
