// The API's /metrics registry: the policy pool's gauges read its state at scrape time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMetrics } from '../../../src/api/metrics.ts';

test("the policy's waiting checks and its workers by role and state are gauges read at scrape time", async () => {
  let waiting = 3;
  const metrics = createMetrics(
    () => 1,
    () => ({ waiting, serving: 3, warm: 2, spare: 'starting' }),
  );
  let text = await metrics.registry.metrics();
  assert.match(text, 'coderun_api_policy_checks_waiting 3');
  assert.match(text, 'coderun_api_policy_workers{role="serving",state="warm"} 2');
  assert.match(text, 'coderun_api_policy_workers{role="serving",state="starting"} 1');
  assert.match(text, 'coderun_api_policy_workers{role="spare",state="warm"} 0');
  assert.match(text, 'coderun_api_policy_workers{role="spare",state="starting"} 1');
  waiting = 0;
  text = await metrics.registry.metrics();
  assert.match(text, 'coderun_api_policy_checks_waiting 0');
});

test('without a policy pool there are no policy gauges', async () => {
  const text = await createMetrics(() => 0).registry.metrics();
  assert.match(text, 'coderun_api_inflight_runs 0');
  assert.not.match(text, 'coderun_api_policy_');
});

test.run();
