// The KEY=value files shell and TypeScript both read (hack/env-file.ts); bash reading the repository's own
// is test/component/env-files-in-bash.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseEnvFile } from '../../hack/env-file.ts';

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

test.run();
