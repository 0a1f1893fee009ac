// The KEY=value files shell and TypeScript both read (hack/env-file.ts): the repository's own, read by bash.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseEnvFile } from '../../hack/env-file.ts';
import { LOCAL_CLUSTER } from '../../hack/local-cluster.ts';

const REPO = join(import.meta.dirname, '..', '..');

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
