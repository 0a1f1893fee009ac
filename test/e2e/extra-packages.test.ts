// README, "Add packages": a package added to the Python image's requirements.txt becomes importable in a run.
// The image is built the way `make images` builds it (hack/build-sandbox-images.sh) from a copy of
// sandbox_base_image/python with one more requirement, into a directory of its own (the shared image cache
// and the cluster are left alone); then the static policy, given the modules the build lists for the image as
// `make up` gives them, accepts a program that imports it, and the runner runs it under gVisor.
// Needs root (debootstrap, chroot, runc, runsc) and the package index; builds for ~3 minutes.
import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadApiConfig } from '../../src/config/api.ts';
import { createPolicy } from '../../src/policy/index.ts';
import { jobLine } from '../conformance/cases.ts';
import { imageRuntime } from '../conformance/gvisor.ts';
import { attempt, reportOf } from '../conformance/runtime.ts';
import { setUpSuite } from '../suite-setup.ts';
import { REPO } from './support.ts';

/** A small pure-Python package the image does not ship, whose import name differs from its name. */
const REQUIREMENT = 'more-itertools==11.2.1';
const MODULE = 'more_itertools';
const PROGRAM = `from more_itertools import chunked
import more_itertools

def main():
    return {"chunks": list(chunked(range(5), 2)), "version": more_itertools.__version__}
`;

const asRoot = process.getuid?.() === 0;
const work = mkdtempSync(join(tmpdir(), 'coderun-e2e-extra-packages-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const images = join(work, 'images');
let tarball = '';

setUpSuite(test, 'extra packages e2e', async () => {
  if (!asRoot) return;
  const contexts = join(work, 'contexts');
  cpSync(join(REPO, 'sandbox_base_image', 'python'), join(contexts, 'python'), { recursive: true });
  appendFileSync(
    join(contexts, 'python', 'requirements.txt'),
    `\n# Added by the extra packages test\n${REQUIREMENT}\n`,
  );
  const { stdout } = await promisify(execFile)(
    join(REPO, 'hack', 'build-sandbox-images.sh'),
    ['build', 'python'],
    {
      env: { ...process.env, CODERUN_IMAGES_DIR: images, CODERUN_SANDBOX_CONTEXTS: contexts },
      timeout: 30 * 60_000,
      maxBuffer: 64 * 2 ** 20,
    },
  );
  tarball = stdout.trim().split('\n').at(-1) ?? '';
  assert.is(tarball, join(images, 'sandbox-python.tar'));
});

test.after(() => rmSync(work, { recursive: true, force: true }));

const it = asRoot ? test : test.skip;

it('the build lists the added package among the modules the image provides, beside the stock ones', () => {
  const modules: string[] = JSON.parse(readFileSync(join(images, 'sandbox-python.tar.modules'), 'utf8'));
  for (const name of [MODULE, 'numpy', 'pandas', 'matplotlib', 'requests'])
    assert.ok(modules.includes(name), name);
});

it("the strict policy refuses the import by default and accepts it with the image's modules configured", () => {
  const modules = readFileSync(join(images, 'sandbox-python.tar.modules'), 'utf8');
  assert.is(createPolicy('strict')('python', PROGRAM).allowed, false);
  // What make up sets (hack/deploy.sh: sandbox.policyModules.python, the env CODERUN_POLICY_PYTHON_MODULES).
  const config = loadApiConfig({ CODERUN_POLICY_PYTHON_MODULES: JSON.parse(modules).join(',') });
  assert.equal(createPolicy('strict', config.policy)('python', PROGRAM), { allowed: true, findings: [] });
});

it('a run in the image imports the added package under gVisor', async () => {
  const runtime = imageRuntime(
    tarball,
    { language: 'python', programFile: 'main.py' },
    join(work, 'unpacked'),
    join(work, 'scratch'),
  );
  const outcome = await attempt(runtime, { input: jobLine('python', PROGRAM, { timeoutMs: 30_000 }) });
  const report = reportOf(outcome);
  assert.is(report.exitCode, 0, outcome.stderr);
  assert.equal(report.result, { present: true, value: { chunks: [[0, 1], [2, 3], [4]], version: '11.2.1' } });
});

test.run();
