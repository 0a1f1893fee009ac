import { stringify } from 'yaml';
import { buildCodeRunCrd, buildSandboxPoolCrd, buildSandboxRuntimeCrd } from './crd.ts';

export const CRD_HEADER = '# Generated from src/coderun/ by `make generate`. Do not edit.\n';

/** Every CRD file of crds/ (and the chart's copy), by file name. */
export function renderCrds(): Record<string, string> {
  // Each file starts a YAML document: `helm show crds` concatenates the files as they are.
  const render = (crd: object) => `${CRD_HEADER}---\n${stringify(crd, { lineWidth: 0 })}`;
  return {
    'coderun.dev_coderuns.yaml': render(buildCodeRunCrd()),
    'coderun.dev_sandboxpools.yaml': render(buildSandboxPoolCrd()),
    'coderun.dev_sandboxruntimes.yaml': render(buildSandboxRuntimeCrd()),
  };
}
