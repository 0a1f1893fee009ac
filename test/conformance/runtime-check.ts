// make runtime-check: the runner conformance table (cases.ts) against an image, in gVisor sandboxes shaped
// like coderun's sandbox Pods (gvisor.ts), with no cluster and no registry. Needs root (runsc run).
//   node test/conformance/runtime-check.ts <image> [--language L] [--programs DIR]
// <image> is an OCI image tarball (hack/oci-image.sh's, `skopeo copy docker://... oci-archive:x.tar`,
// `docker save`), or python / nodejs for the sandbox images `make images` built. The language is the job's
// `language` (python / nodejs by default for those); the programs are programs/<language>/ unless given.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CASES, loadPrograms, missingPrograms, PROGRAMS, PROGRAMS_DIR, type Trial } from './cases.ts';
import { imageRuntime } from './gvisor.ts';

const CACHE = process.env.CODERUN_CACHE ?? join(process.env.HOME ?? '/root', '.cache/coderun');
const OWN_IMAGES = ['python', 'nodejs'];

function fail(message: string): never {
  console.error(`runtime-check: ${message}`);
  process.exit(2);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { language: { type: 'string' }, programs: { type: 'string' } },
});
const [image] = positionals;
if (!image || positionals.length > 1) {
  fail('usage: runtime-check.ts <OCI image tarball | python | nodejs> [--language L] [--programs DIR]');
}
if (process.getuid?.() !== 0) fail('runs the image with runsc, which needs root');

// coderun's own images are held to their runners' exact messages too; any other image to the protocol.
const own = OWN_IMAGES.includes(image);
const tarball = own ? join(CACHE, 'images', `sandbox-${image}.tar`) : image;
if (!existsSync(tarball)) fail(`no image at ${tarball}${own ? ' (make images builds it)' : ''}`);
const language = values.language ?? (own ? image : undefined);
if (!language) fail('--language (LANGUAGE=) names the language the image serves');
const programsDir = values.programs ?? join(PROGRAMS_DIR, language);
if (!existsSync(programsDir)) {
  fail(
    `no programs for ${language} at ${programsDir}: --programs (PROGRAMS=) names a folder with the files of ${Object.keys(PROGRAMS).join(', ')}`,
  );
}

const scratch = mkdtempSync(join(tmpdir(), 'coderun-runtime-check-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

console.log(`runtime-check: unpacking ${tarball}`);
const trial: Trial = {
  runtime: imageRuntime(tarball, language, join(CACHE, 'runtime-check'), scratch),
  programs: loadPrograms(programsDir),
  ours: own,
};

let passed = 0;
let failed = 0;
let skipped = 0;
for (const c of CASES) {
  const missing = missingPrograms(c, trial.programs);
  if (missing.length > 0) {
    skipped++;
    console.log(`skip  ${c.name} (no program ${missing.join(', ')})`);
    continue;
  }
  const started = performance.now();
  try {
    await c.check(trial);
    passed++;
    console.log(`ok    ${c.name} (${Math.round(performance.now() - started)} ms)`);
  } catch (error) {
    failed++;
    console.log(
      `FAIL  ${c.name}\n      ${String((error as Error).message ?? error).replaceAll('\n', '\n      ')}`,
    );
  }
}
console.log(`runtime-check ${image} (${language}): ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
