// Writes crds/coderun.dev_coderuns.yaml from the zod schema (`make crds`).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderCrdYaml } from '../src/coderun/crd-yaml.ts';

const target = join(import.meta.dirname, '..', 'crds', 'coderun.dev_coderuns.yaml');
writeFileSync(target, renderCrdYaml());
console.log(`wrote ${target}`);
