import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadApiConfig } from '../../../src/config/api.ts';
import { ConfigError } from '../../../src/config/env.ts';

function errorOf(env: Record<string, string>): string {
  try {
    loadApiConfig(env);
  } catch (err) {
    assert.instance(err, ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

test('by default 30 failed authentications a minute per address, 6000 requests a minute per token', () => {
  const c = loadApiConfig({});
  assert.equal(c.preAuthRateLimit, { max: 30, windowMs: 60_000 });
  assert.equal(c.runRateLimit, { max: 6000, windowMs: 60_000 });
});

test("rate limits take slowapi's N/unit form, as RAGFlow writes them, or unlimited", () => {
  const rate = (value: string) => loadApiConfig({ SANDBOX_RUN_RATE_LIMIT: value }).runRateLimit;
  assert.equal(rate('120/minute'), { max: 120, windowMs: 60_000 });
  assert.equal(rate(' 5 / second '), { max: 5, windowMs: 1_000 });
  assert.equal(rate('1000/hours'), { max: 1000, windowMs: 3_600_000 });
  assert.equal(rate('10/Day'), { max: 10, windowMs: 86_400_000 });
  assert.is(rate('unlimited'), null);
  assert.is(loadApiConfig({ SANDBOX_RUN_PREAUTH_RATE_LIMIT: 'Unlimited' }).preAuthRateLimit, null);
});

test('a bad rate names the variable and the accepted form', () => {
  for (const value of ['0/minute', '-1/minute', '30', '30/week', 'lots', '1.5/second']) {
    const message = errorOf({ SANDBOX_RUN_PREAUTH_RATE_LIMIT: value });
    assert.match(message, `SANDBOX_RUN_PREAUTH_RATE_LIMIT="${value}"`);
    assert.match(message, '30/minute');
    assert.match(message, 'unlimited');
  }
});

test("the chart's values schema and the API agree on which rates are valid", () => {
  const schema = JSON.parse(
    readFileSync(
      join(import.meta.dirname, '..', '..', '..', 'charts', 'coderun', 'values.schema.json'),
      'utf8',
    ),
  );
  const pattern = new RegExp(schema.definitions.rate.pattern);
  const values = [
    '30/minute',
    ' 5 / seconds ',
    '1000/hour',
    '10/day',
    'unlimited',
    'UNLIMITED',
    'lots',
    '30',
    '0/minute',
    '1.5/second',
    '30/week',
  ];
  for (const value of values) {
    let accepted = true;
    try {
      loadApiConfig({ SANDBOX_RUN_RATE_LIMIT: value });
    } catch {
      accepted = false;
    }
    assert.is(pattern.test(value), accepted, value);
  }
});

test("readiness requires the isolation self-test only when asked, read from the ConfigMap in the API's namespace", () => {
  assert.is(loadApiConfig({}).requireSelfTest, null);
  assert.equal(
    loadApiConfig({ CODERUN_REQUIRE_SELF_TEST: 'true', POD_NAMESPACE: 'coderun' }).requireSelfTest,
    {
      namespace: 'coderun',
      name: 'coderun-self-test',
    },
  );
  assert.match(errorOf({ CODERUN_REQUIRE_SELF_TEST: 'maybe' }), 'CODERUN_REQUIRE_SELF_TEST');
});

test.run();
