// The hostile-input fuzz (test/fuzz/api-fuzz.ts, `make fuzz` runs 10,000 requests) in a bounded form for
// every test run: 1,500 requests against the real server on a loopback socket. A failure prints the seed;
// FUZZ_SEED=<seed> make fuzz repeats it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatReport, fuzzApi } from '../../fuzz/api-fuzz.ts';

test('1,500 hostile requests: no 5xx, no hang, every error in its shape, the API healthy afterwards', async () => {
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
  const report = await fuzzApi({ seed, requests: 1_500 });
  assert.ok(report.ok, `fuzz failed (seed ${seed}):\n${formatReport(report)}`);
  assert.is(report.requests, 1_500);
});

test.run();
