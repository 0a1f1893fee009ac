// Packages added to the sandbox images (README, "Add packages"): the operator lists their import names
// (CODERUN_POLICY_PYTHON_MODULES, CODERUN_POLICY_JAVASCRIPT_MODULES; the chart's sandbox.policyModules) and the
// strict profile lets programs import them, and nothing else besides.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadApiConfig } from '../../../src/config/api.ts';
import { ConfigError } from '../../../src/config/env.ts';
import { createLogger } from '../../../src/log.ts';
import { createPolicy } from '../../../src/policy/index.ts';
import { PolicyPool } from '../../../src/policy/pool.ts';

const stock = createPolicy('strict');
const extended = createPolicy('strict', {
  extraModules: { python: ['more_itertools'], javascript: ['lodash', '@acme/charts'] },
});

function configError(env: Record<string, string>): string {
  try {
    loadApiConfig(env);
  } catch (err) {
    assert.instance(err, ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

test('a Python package the operator lists can be imported, with its sub-modules, and is refused otherwise', () => {
  for (const source of [
    'import more_itertools\n',
    'from more_itertools import chunked\n',
    'import more_itertools.recipes as r\n',
  ]) {
    assert.is(stock('python', source).allowed, false, source);
    assert.is(extended('python', source).allowed, true, source);
  }
});

test('listing Python packages lifts none of the refusals of the strict profile', () => {
  assert.is(extended('python', 'import subprocess\n').allowed, false);
  assert.is(extended('python', 'import ctypes\n').allowed, false);
  assert.is(extended('python', 'import more_itertools\nimport os\nos.system("id")\n').allowed, false);
});

test('a Node.js package the operator lists can be required or imported with its subpaths, never as node:', () => {
  for (const source of [
    "const _ = require('lodash');",
    "import fp from 'lodash/fp';",
    "import { bar } from '@acme/charts/bar.js';",
  ]) {
    assert.is(stock('javascript', source).allowed, false, source);
    assert.is(extended('javascript', source).allowed, true, source);
  }
  for (const source of [
    "require('node:lodash');",
    "require('lodash/../../etc/x');",
    "require('lodash-es');",
    "require('@acme/other');",
  ]) {
    assert.is(extended('javascript', source).allowed, false, source);
  }
  assert.is(extended('javascript', "require('child_process').execSync('id');").allowed, false);
});

test('the configuration reads both lists, comma-separated, each name once', () => {
  const { extraModules } = loadApiConfig({
    CODERUN_POLICY_PYTHON_MODULES: 'more_itertools, tabulate,more_itertools',
    CODERUN_POLICY_JAVASCRIPT_MODULES: 'lodash,@acme/charts',
  }).policy;
  assert.equal(extraModules, {
    python: ['more_itertools', 'tabulate'],
    javascript: ['lodash', '@acme/charts'],
  });
  assert.equal(loadApiConfig({}).policy.extraModules, { python: [], javascript: [] });
});

test('a name that is no package, or one the policy refuses on purpose, is a configuration error naming it', () => {
  for (const [variable, value, name] of [
    ['CODERUN_POLICY_PYTHON_MODULES', 'yaml,more-itertools', 'more-itertools'],
    ['CODERUN_POLICY_PYTHON_MODULES', 'numpy.ctypeslib', 'numpy.ctypeslib'],
    ['CODERUN_POLICY_PYTHON_MODULES', 'subprocess', 'subprocess'],
    ['CODERUN_POLICY_PYTHON_MODULES', 'ctypes', 'ctypes'],
    ['CODERUN_POLICY_JAVASCRIPT_MODULES', 'child_process', 'child_process'],
    ['CODERUN_POLICY_JAVASCRIPT_MODULES', 'node:vm', 'node:vm'],
    ['CODERUN_POLICY_JAVASCRIPT_MODULES', './local', './local'],
  ] as const) {
    const message = configError({ [variable]: value });
    assert.match(message, `${variable}="${value}"`);
    assert.match(message, `'${name}'`);
  }
});

test("the worker pool checks with the configuration's extra modules", async () => {
  const pool = new PolicyPool({
    profile: 'strict',
    workers: 1,
    budgetMs: 2000,
    heapMb: 128,
    extraModules: { python: ['more_itertools'], javascript: [] },
    log: createLogger('silent', 'test'),
  });
  try {
    assert.is((await pool.check('python', 'import more_itertools\n')).allowed, true);
    assert.is((await pool.check('python', 'import tinydb\n')).allowed, false);
  } finally {
    await pool.close();
  }
});

test.run();
