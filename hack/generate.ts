// Every generated file the repository commits, and the one way each is made.
//   node hack/generate.ts           write them all (`make generate`)
//   node hack/generate.ts --check   fail, naming each file and what it is made from, when one differs
//                                   from a fresh render (`make verify`, part of `make test`)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderCrds } from '../src/coderun/crd-yaml.ts';
import { VERSION } from '../src/version.ts';
import { CHART_README, chartReadme } from './chart-values.ts';

const REPO = join(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');
const script = (name: string) => () =>
  execFileSync(join(REPO, 'hack', name), [], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 2 ** 20,
  });

interface Generated {
  path: string;
  /** What it is made from, for the drift message. */
  from: string;
  render: () => string;
}

const crds = renderCrds();
export const GENERATED: Generated[] = [
  ...Object.entries(crds).flatMap(([file, yaml]) =>
    ['crds', 'charts/coderun/crds'].map((dir) => ({
      path: `${dir}/${file}`,
      from: 'the zod schemas in src/coderun',
      render: () => yaml,
    })),
  ),
  {
    path: 'charts/coderun/Chart.yaml',
    from: "package.json's version (the chart's version and appVersion lines)",
    render: () =>
      read('charts/coderun/Chart.yaml')
        .replace(/^version: .*$/m, `version: ${VERSION}`)
        .replace(/^appVersion: .*$/m, `appVersion: "${VERSION}"`),
  },
  {
    path: 'charts/coderun/files/seccomp/sandbox.json',
    from: 'seccomp/sandbox.json (the chart ships a copy)',
    render: () => read('seccomp/sandbox.json'),
  },
  {
    path: CHART_README,
    from: 'charts/coderun/values.yaml and values.schema.json (the values table)',
    render: chartReadme,
  },
  {
    path: 'deploy/manifests/coderun.yaml',
    from: 'the chart with its default values (hack/render-manifests.sh)',
    render: script('render-manifests.sh'),
  },
  {
    path: 'kind-config.yaml',
    from: 'hack/render-kind-config.sh',
    render: script('render-kind-config.sh'),
  },
];

function firstDifference(a: string, b: string): string {
  const left = a.split('\n');
  const right = b.split('\n');
  const line = left.findIndex((l, i) => l !== right[i]);
  const at = line < 0 ? left.length : line;
  return `line ${at + 1}: committed ${JSON.stringify(left[at] ?? '(end)')}, fresh ${JSON.stringify(right[at] ?? '(end)')}`;
}

const check = process.argv.includes('--check');
const stale: string[] = [];
for (const file of GENERATED) {
  const fresh = file.render();
  let committed: string | null;
  try {
    committed = read(file.path);
  } catch {
    committed = null;
  }
  if (committed === fresh) continue;
  if (check) {
    stale.push(
      `  ${file.path} (from ${file.from}): ${committed === null ? 'missing' : firstDifference(committed, fresh)}`,
    );
  } else {
    writeFileSync(join(REPO, file.path), fresh);
    console.log(`wrote ${file.path}`);
  }
}
if (stale.length) {
  console.error(
    `generated files out of date; run \`make generate\` and commit the result:\n${stale.join('\n')}`,
  );
  process.exit(1);
}
if (check) console.log(`generated files up to date (${GENERATED.length})`);
