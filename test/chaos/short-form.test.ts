// The chaos tier (`make test-chaos`, last in `make test`): the short form of `make chaos` against `make up`'s
// release, one kill -9 of each of the controller and API containers, kube-apiserver, etcd, containerd and
// the kubelet while runs are in flight, each restarted. No run may be left unfinished, no sandbox Pod
// orphaned, no answer wrong, no caller left without an answer, and each fault must be recovered from
// (verdict.ts, losses). A caller in flight who got an error its fault does not excuse (a run a dead etcd
// delayed past its timeout on a loaded machine) is printed, not failed: `make chaos` fails on those too.
// It runs after every other tier: its kills leave Pods terminating and the node's CPU requests full for
// minutes, which made suites after it fail to schedule when it ran inside the e2e tier.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KubeClients } from '../../src/kube/client.ts';
import { localRelease } from '../e2e/support.ts';
import { setUpSuite } from '../suite-setup.ts';
import { runCampaign } from './campaign.ts';
import { FAULTS } from './faults.ts';
import { failures, formatTable, losses, tableRows } from './verdict.ts';

let token: string;
let kube: KubeClients;

setUpSuite(test, 'chaos short form', async () => {
  ({ token, kube } = await localRelease());
});

test('one kill -9 of each part, runs in flight: every run ends, no Pod orphaned, no wrong answer, it recovers', async () => {
  const started = Date.now();
  const results = await runCampaign({
    token,
    kube,
    faults: FAULTS,
    inFlight: 3,
    log: (line) => console.log(`  ${line}`),
  });
  console.log(`  ${results.length} injections in ${((Date.now() - started) / 60_000).toFixed(1)} min`);
  console.log(formatTable(tableRows(results)));
  const lost = results.flatMap(losses);
  const answeredWithErrors = results.flatMap(failures).filter((f) => !lost.includes(f));
  if (answeredWithErrors.length)
    console.log(`  callers answered with an error:\n  ${answeredWithErrors.join('\n  ')}`);
  assert.is(results.length, FAULTS.length);
  assert.equal(lost, []);
});

test.run();
