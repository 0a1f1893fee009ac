// The runner conformance table (test/conformance/cases.ts) against coderun's runners on the host's
// interpreters: every case, for each of coderun's runtimes (python, nodejs, and typescript, which is the
// Node.js runner told so by CODERUN_RUNTIME and CODERUN_PROGRAM_FILE), with coderun's own messages checked too.
// `make runtime-check` runs the same table against the images.
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CASES, loadPrograms, missingPrograms, PROGRAMS, PROGRAMS_DIR } from '../../conformance/cases.ts';
import { hostRuntime } from '../../conformance/host.ts';
import { OWN_RUNTIMES } from '../../conformance/own-runtimes.ts';
import { NODEJS_RUNNER, PYTHON_RUNNER, REPO } from './runner-harness.ts';

const RUNNERS = { 'sandbox-python.tar': PYTHON_RUNNER, 'sandbox-nodejs.tar': NODEJS_RUNNER };

for (const [language, { programFile, image }] of Object.entries(OWN_RUNTIMES)) {
  const programs = loadPrograms(join(PROGRAMS_DIR, language));
  const trial = {
    runtime: hostRuntime(RUNNERS[image], { language, programFile }, REPO),
    programs,
    ours: true,
  };

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
