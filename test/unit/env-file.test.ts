// The KEY=value files shell and TypeScript both read (hack/env-file.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseEnvFile } from '../../hack/env-file.ts';
import { LOCAL_CLUSTER } from '../../hack/local-cluster.ts';

const REPO = join(import.meta.dirname, '..', '..');

/** `${NAME}` in shell syntax. */
const braced = (name: string) => `\${${name}}`;

test('keys and values, comments and blank lines skipped, earlier keys expanded as $KEY and braced', () => {
  const text = `# a comment\n\nROOT=/var/lib/x\nFILE=$ROOT/admin.conf # trailing comment\nBOTH=${braced('ROOT')}-$FILE\n`;
  assert.equal(parseEnvFile(text), {
    ROOT: '/var/lib/x',
    FILE: '/var/lib/x/admin.conf',
    BOTH: '/var/lib/x-/var/lib/x/admin.conf',
  });
});

test('a line that is not KEY=value, or a key not set above, is an error naming the line', () => {
  assert.throws(() => parseEnvFile('A=1\nexport B=2\n'), /line 2: expected KEY=value/);
  assert.throws(() => parseEnvFile('A=$B\n'), /line 1: \$B is not set above/);
});

test("the repository's env files read as the shell reads them", () => {
  const versions = parseEnvFile(readFileSync(join(REPO, 'hack', 'versions.env'), 'utf8'));
  assert.match(versions.NODE_VERSION ?? '', /^\d+\.\d+\.\d+$/);
  assert.equal(LOCAL_CLUSTER, {
    kubeconfig: '/var/lib/coderun-cluster/admin.kubeconfig',
    nodeIp: '10.250.0.1',
  });
});

test.run();
