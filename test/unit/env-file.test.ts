// The KEY=value files shell and TypeScript both read (hack/env-file.ts).
import { execFileSync } from 'node:child_process';
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

test("the repository's env files read as bash reads them", () => {
  for (const file of ['hack/versions.env', 'hack/local-cluster.env']) {
    const parsed = parseEnvFile(readFileSync(join(REPO, file), 'utf8'));
    const names = Object.keys(parsed);
    const script = `. ${file}; ${names.map((n) => `printf '%s\\n' "$${n}"`).join('; ')}`;
    const sourced = execFileSync('bash', ['-c', script], { cwd: REPO, encoding: 'utf8', env: {} });
    assert.equal(Object.values(parsed), sourced.split('\n').slice(0, -1), file);
  }
  assert.is(LOCAL_CLUSTER.kubeconfig.endsWith('/admin.kubeconfig'), true);
  assert.match(LOCAL_CLUSTER.nodeIp, /^\d+\.\d+\.\d+\.\d+$/);
});

test.run();
