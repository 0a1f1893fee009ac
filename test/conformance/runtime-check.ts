// make runtime-check: the runner conformance table (cases.ts) against an image, in gVisor sandboxes shaped
// like coderun's sandbox Pods (gvisor.ts), with no cluster and no registry. Needs root (runsc run).
//   node test/conformance/runtime-check.ts <image> [--language L] [--program-file F] [--programs DIR]
// <image> is an OCI image tarball (hack/oci-image.sh's, `skopeo copy docker://... oci-archive:x.tar`,
// `docker save`), or the name of one of coderun's own runtimes (python, nodejs, typescript: own-runtimes.ts)
// for the sandbox images `make images` built. The language is the runtime's name, the job's `language` and
// the sandbox's CODERUN_RUNTIME; the program file its CODERUN_PROGRAM_FILE; the programs are
// programs/<language>/ unless given.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { CASES, loadPrograms, missingPrograms, PROGRAMS, PROGRAMS_DIR, type Trial } from './cases.ts';
import { imageRuntime } from './gvisor.ts';
import { OWN_RUNTIMES } from './own-runtimes.ts';

const CACHE = process.env.CODERUN_CACHE ?? join(process.env.HOME ?? '/root', '.cache/coderun');

function fail(message: string): never {
  console.error(`runtime-check: ${message}`);
  process.exit(2);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    language: { type: 'string' },
    'program-file': { type: 'string' },
    programs: { type: 'string' },
  },
});
const [image] = positionals;
const ownNames = Object.keys(OWN_RUNTIMES).join(' | ');
if (!image || positionals.length > 1) {
  fail(
    `usage: runtime-check.ts <OCI image tarball | ${ownNames}> [--language L] [--program-file F] [--programs DIR]`,
  );
}
if (process.getuid?.() !== 0) fail('runs the image with runsc, which needs root');

// coderun's own images are held to their runners' exact messages too; any other image to the protocol.
const own = Object.hasOwn(OWN_RUNTIMES, image) ? OWN_RUNTIMES[image] : undefined;
const tarball = own ? join(CACHE, 'images', own.image) : image;
if (!existsSync(tarball)) fail(`no image at ${tarball}${own ? ' (make images builds it)' : ''}`);
const language = values.language ?? (own ? image : undefined);
if (!language) fail('--language (LANGUAGE=) names the runtime the image serves');
const programsDir = values.programs ?? join(PROGRAMS_DIR, language);
if (!existsSync(programsDir)) {
  fail(
    `no programs for ${language} at ${programsDir}: --programs (PROGRAMS=) names a folder with the files of ${Object.keys(PROGRAMS).join(', ')}`,
  );
}
const programs = loadPrograms(programsDir);
// The runtime's programFile: given, coderun's own, or main.<the extension of the programs>.
const programFile =
  values['program-file'] ??
  (own && language === image ? own.programFile : `main${extname(readdirSync(programsDir)[0] ?? '')}`);
const scratch = mkdtempSync(join(tmpdir(), 'coderun-runtime-check-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

console.log(`runtime-check: unpacking ${tarball}`);
const trial: Trial = {
  runtime: imageRuntime(tarball, { language, programFile }, join(CACHE, 'runtime-check'), scratch),
  programs,
  ours: own !== undefined,
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
console.log(
  `runtime-check ${image} (${language}, ${programFile}): ${passed} passed, ${failed} failed, ${skipped} skipped`,
);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
