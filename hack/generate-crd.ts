// Writes the CRDs from the zod schemas into crds/ and the chart's crds/ (`make crds`).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderCrds } from '../src/coderun/crd-yaml.ts';

const root = join(import.meta.dirname, '..');
for (const [file, yaml] of Object.entries(renderCrds())) {
  for (const dir of ['crds', 'charts/coderun/crds']) {
    writeFileSync(join(root, dir, file), yaml);
    console.log(`wrote ${dir}/${file}`);
  }
}
