// The runner conformance table (test/conformance/cases.ts) against coderun's two runners on the host's
// interpreters: every case, for each runner, with coderun's own messages checked too. `make runtime-check`
// runs the same table against the images.
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CASES, loadPrograms, missingPrograms, PROGRAMS, PROGRAMS_DIR } from '../../conformance/cases.ts';
import { hostRuntime } from '../../conformance/host.ts';
import { NODEJS_RUNNER, PYTHON_RUNNER, REPO } from './runner-harness.ts';

const RUNNERS = { python: PYTHON_RUNNER, nodejs: NODEJS_RUNNER };

for (const [language, command] of Object.entries(RUNNERS)) {
  const programs = loadPrograms(join(PROGRAMS_DIR, language));
  const trial = { runtime: hostRuntime(command, language, REPO), programs, ours: true };

  test(`${language}: the programs folder has every program the cases name, and nothing else`, () => {
    assert.equal([...programs.keys()].sort(), Object.keys(PROGRAMS).sort());
  });

  for (const c of CASES) {
    test(`${language}: ${c.name}`, async () => {
      assert.equal(missingPrograms(c, programs), []);
      await c.check(trial);
    });
  }
}

test.run();
