import { stringify } from 'yaml';
import { buildCodeRunCrd } from './crd.ts';

export const CRD_HEADER = '# Generated from src/coderun/schema.ts by `make crds`. Do not edit.\n';

export function renderCrdYaml(): string {
  return CRD_HEADER + stringify(buildCodeRunCrd(), { lineWidth: 0 });
}
