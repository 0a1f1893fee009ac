// End to end: the short form of `make chaos` (test/chaos/) against `make up`'s release: one kill -9 of each
// of the controller and API containers, kube-apiserver, etcd, containerd and the kubelet while runs are in
// flight, each restarted. No run may be left unfinished, no sandbox Pod orphaned, no answer wrong, no caller
// in flight get less than its fault allows (test/chaos/faults.ts), and each fault must be recovered from.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KubeClients } from '../../src/kube/client.ts';
import { runCampaign } from '../chaos/campaign.ts';
import { FAULTS } from '../chaos/faults.ts';
import { failures, formatTable, tableRows } from '../chaos/verdict.ts';
import { localRelease } from './support.ts';

let token: string;
let kube: KubeClients;

test.before(async () => {
  ({ token, kube } = await localRelease('chaos'));
});

test('one kill -9 of each part, runs in flight: every run ends, no Pod orphaned, no wrong answer, it recovers', async () => {
  const results = await runCampaign({
    token,
    kube,
    faults: FAULTS,
    inFlight: 3,
    log: (line) => console.log(line),
  });
  console.log(formatTable(tableRows(results)));
  assert.equal(results.length, FAULTS.length);
  assert.equal(results.flatMap(failures), []);
});

test.run();
