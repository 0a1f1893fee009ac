// The runner conformance table (test/conformance/cases.ts) against the sandbox images `make images` built,
// each case in a gVisor sandbox shaped like a sandbox Pod: what `make runtime-check IMAGE=python`,
// `IMAGE=nodejs` and `IMAGE=typescript` run, as part of the tier. Needs root (runsc), not the cluster.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import { CASES, loadPrograms, PROGRAMS_DIR, type Trial } from '../conformance/cases.ts';
import { imageRuntime } from '../conformance/gvisor.ts';
import { OWN_RUNTIMES } from '../conformance/own-runtimes.ts';
import { IMAGE_DIR } from './support.ts';

const asRoot = process.getuid?.() === 0;
const scratch = mkdtempSync(join(tmpdir(), 'coderun-e2e-runtime-check-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

for (const [language, { programFile, image: tarball }] of Object.entries(OWN_RUNTIMES)) {
  let trial: Trial | undefined;
  // Unpacked on first use, so a tier run filtered to other files does not pay for it.
  const image = (): Trial => {
    trial ??= {
      runtime: imageRuntime(
        join(IMAGE_DIR, tarball),
        { language, programFile },
        join(IMAGE_DIR, '..', 'runtime-check'),
        scratch,
      ),
      programs: loadPrograms(join(PROGRAMS_DIR, language)),
      ours: true,
    };
    return trial;
  };
  for (const c of CASES) {
    (asRoot ? test : test.skip)(`${language} image under gVisor: ${c.name}`, () => c.check(image()));
  }
}

test.run();
