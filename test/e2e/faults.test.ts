// End to end (named to run after chart.test.ts, whose release needs the node's CPU to itself, and before
// the suites that call make up again): the short form of `make chaos` (test/chaos/) against `make up`'s release: one kill -9 of each
// of the controller and API containers, kube-apiserver, etcd, containerd and the kubelet while runs are in
// flight, each restarted. No run may be left unfinished, no sandbox Pod orphaned, no answer wrong, no caller
// left without an answer, and each fault must be recovered from (verdict.ts, losses). A caller in flight who
// got an error its fault does not excuse (a run a dead etcd delayed past its timeout on a loaded machine) is
// printed, not failed: make chaos fails on those too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KubeClients } from '../../src/kube/client.ts';
import { runCampaign } from '../chaos/campaign.ts';
import { FAULTS } from '../chaos/faults.ts';
import { failures, formatTable, losses, tableRows } from '../chaos/verdict.ts';
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
  const answeredWithErrors = results.flatMap(failures).filter((f) => !results.flatMap(losses).includes(f));
  if (answeredWithErrors.length)
    console.log(`callers answered with an error:\n${answeredWithErrors.join('\n')}`);
  assert.equal(results.length, FAULTS.length);
  assert.equal(results.flatMap(losses), []);
});

test.run();
