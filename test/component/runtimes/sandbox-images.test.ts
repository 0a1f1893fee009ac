// The Dockerfiles users build and the registry-free local build (hack/build-sandbox-images.sh) must
// make the same image. The script reads the config from the Dockerfile; this proves it reads it right,
// and that both fit the sandbox Pod the controller builds.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SANDBOX_UID, WORK_DIR } from '../../../src/controller/sandbox-pod.ts';
import { REPO } from './runner-harness.ts';

interface ImageConfig {
  entrypoint: string[];
  user: string;
  workdir: string;
  env: string[];
  copies: { sources: string[]; destination: string }[];
}

const LANGUAGES = ['python', 'nodejs'] as const;
const RUNNER_FILE = { python: 'runner.py', nodejs: 'runner.mjs' };
// The program's interpreter runs it; the runner finds it next to itself.
const BOOTSTRAP_FILE = { python: 'bootstrap.py', nodejs: 'bootstrap.cjs' };

function context(lang: string): string {
  return join(REPO, 'sandbox_base_image', lang);
}

function dockerfileLines(lang: string): string[][] {
  return readFileSync(join(context(lang), 'Dockerfile'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() && !line.trimStart().startsWith('#'))
    .map((line) => line.trim().split(/\s+/));
}

/** An independent reading of the Dockerfile: the last USER/WORKDIR/ENTRYPOINT, every ENV and COPY. */
function parseDockerfile(lang: string): ImageConfig & { from: string; run: string[] } {
  const config = {
    entrypoint: [] as string[],
    user: '',
    workdir: '',
    env: [] as string[],
    from: '',
    run: [] as string[],
  };
  const copies: ImageConfig['copies'] = [];
  for (const [instruction = '', ...rest] of dockerfileLines(lang)) {
    const value = rest.join(' ');
    if (instruction === 'FROM') config.from = value;
    else if (instruction === 'RUN') config.run.push(value);
    else if (instruction === 'ENV') config.env.push(value);
    else if (instruction === 'USER') config.user = value;
    else if (instruction === 'WORKDIR') config.workdir = value;
    else if (instruction === 'ENTRYPOINT') config.entrypoint = JSON.parse(value);
    else if (instruction === 'COPY')
      copies.push({ sources: rest.slice(0, -1), destination: rest.at(-1) ?? '' });
    else throw new Error(`unexpected instruction ${instruction} in the ${lang} Dockerfile`);
  }
  return { ...config, copies };
}

function localBuildConfig(lang: string): ImageConfig {
  const out = execFileSync('bash', [join(REPO, 'hack/build-sandbox-images.sh'), 'config', lang], {
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

for (const lang of LANGUAGES) {
  test(`${lang}: the local build uses the Dockerfile's entry point, user, work dir, env and copies`, () => {
    const { from: _from, run: _run, ...dockerfile } = parseDockerfile(lang);
    assert.equal(localBuildConfig(lang), dockerfile);
  });

  test(`${lang}: the image runs as the sandbox Pod's user, in its work dir`, () => {
    const image = parseDockerfile(lang);
    assert.is(image.user, `${SANDBOX_UID}:${SANDBOX_UID}`);
    assert.is(image.workdir, WORK_DIR);
  });

  test(`${lang}: the entry point runs the runner file the Dockerfile copies into the image`, () => {
    const image = parseDockerfile(lang);
    const runner = image.copies.find((c) => c.sources.includes(RUNNER_FILE[lang]));
    assert.ok(runner, `no COPY of ${RUNNER_FILE[lang]}`);
    assert.ok(image.entrypoint.includes(runner.destination), JSON.stringify(image.entrypoint));
  });

  test(`${lang}: the Dockerfile copies the bootstrap next to the runner`, () => {
    const image = parseDockerfile(lang);
    const runner = image.copies.find((c) => c.sources.includes(RUNNER_FILE[lang]));
    const bootstrap = image.copies.find((c) => c.sources.includes(BOOTSTRAP_FILE[lang]));
    assert.ok(runner && bootstrap, `no COPY of ${BOOTSTRAP_FILE[lang]}`);
    assert.is(bootstrap.destination, join(dirname(runner.destination), BOOTSTRAP_FILE[lang]));
  });
}

test('python: the public image installs requirements.txt on Python 3.11 with a head-less matplotlib', () => {
  const image = parseDockerfile('python');
  assert.is(image.from, 'python:3.11-slim-bookworm');
  assert.ok(image.env.includes('MPLBACKEND=Agg'));
  const requirements = image.copies.find((c) => c.sources.includes('requirements.txt'));
  assert.ok(requirements);
  assert.ok(image.run.some((r) => r.includes(`pip install`) && r.includes(`-r ${requirements.destination}`)));
});

test("python: the public image ships matplotlib's font scan next to the runner, where the runner seeds from", () => {
  const image = parseDockerfile('python');
  const runner = image.copies.find((c) => c.sources.includes('runner.py'));
  assert.ok(runner);
  const scan = `MPLCONFIGDIR=${dirname(runner.destination)}/matplotlib python3 -c "import matplotlib.font_manager"`;
  assert.ok(image.run.includes(scan), JSON.stringify(image.run));
});

test('python: every requirement is pinned to one version', () => {
  const lines = readFileSync(join(context('python'), 'requirements.txt'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  for (const name of ['numpy', 'pandas', 'matplotlib', 'requests']) {
    assert.ok(
      lines.some((line) => line.startsWith(`${name}==`)),
      `${name} is missing`,
    );
  }
  for (const line of lines) assert.match(line, /^[A-Za-z0-9._-]+==[0-9][A-Za-z0-9.]*$/);
});

test('nodejs: the public image installs the locked packages where NODE_PATH points', () => {
  const image = parseDockerfile('nodejs');
  assert.is(image.from, 'node:24-bookworm-slim');
  const nodePath = image.env.find((e) => e.startsWith('NODE_PATH='))?.slice('NODE_PATH='.length);
  assert.ok(nodePath);
  const manifests = image.copies.find((c) => c.sources.includes('package-lock.json'));
  assert.is(manifests?.destination.replace(/\/$/, ''), dirname(nodePath));
  assert.ok(
    image.run.some((r) => r.includes('npm ci --omit=dev') && r.includes(`--prefix ${dirname(nodePath)}`)),
  );
});

test('nodejs: axios is pinned and the lock file agrees', () => {
  const manifest = JSON.parse(readFileSync(join(context('nodejs'), 'package.json'), 'utf8'));
  const lock = JSON.parse(readFileSync(join(context('nodejs'), 'package-lock.json'), 'utf8'));
  assert.match(manifest.dependencies.axios, /^\d+\.\d+\.\d+$/);
  assert.is(lock.packages['node_modules/axios'].version, manifest.dependencies.axios);
  assert.equal(lock.packages[''].dependencies, manifest.dependencies);
});

test.run();
