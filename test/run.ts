// Runs every test file of one tier through uvu's CLI (`uvu <dir> <pattern>`: the matching files in one
// process) and ends with the line CI reads: "<tier>: N passed, N failed, N skipped".
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';

const TIERS = ['unit', 'component', 'integration', 'e2e', 'kind', 'chaos'];
const tier = process.argv[2];
if (!tier || !TIERS.includes(tier)) {
  console.error(`usage: node test/run.ts ${TIERS.join('|')} [filter]`);
  process.exit(2);
}
const filter = process.argv[3];
const REPO = join(import.meta.dirname, '..');

// uvu tests its pattern, case-insensitively, against each file's path under the tier's directory.
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const pattern = `^${filter ? `(?=.*${escaped(filter)})` : ''}.*\\.test\\.ts$`;
// --no-color: the CLI's default sets FORCE_COLOR for the tests too, whose child processes would then colour
// the output the tests read.
const uvu = spawn(
  process.execPath,
  [join(REPO, 'node_modules', '.bin', 'uvu'), join('test', tier), pattern, '--no-color'],
  { cwd: REPO, stdio: ['inherit', 'pipe', 'inherit'] },
);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => uvu.kill(signal));

const printed: Buffer[] = [];
uvu.stdout.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  printed.push(chunk);
});
const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
  uvu.on('close', (c, s) => resolve([c, s])),
);
const output = stripVTControlCharacters(Buffer.concat(printed).toString('utf8'));

// uvu ends with "Total: / Passed: / Skipped:"; a test that fails counts in Total and not in Passed. A before
// hook that throws fails its suite's tests without a word and leaves uvu's exit code 0, so the counts decide.
const count = (label: string) =>
  Number([...output.matchAll(new RegExp(`^\\s*${label}:\\s+(\\d+)$`, 'gm'))].at(-1)?.[1] ?? Number.NaN);
let total = count('Total');
let passed = count('Passed');
let skipped = count('Skipped');
let failed = total - passed - skipped;
if (Number.isNaN(total)) {
  // The process ended before its summary (an after hook threw, a test exited): count the suites that
  // finished ("(passed / total)" each) and the unfinished run as one failure.
  const suites = [...output.matchAll(/\((\d+) \/ (\d+)\)$/gm)];
  passed = suites.reduce((sum, m) => sum + Number(m[1]), 0);
  total = suites.reduce((sum, m) => sum + Number(m[2]), 0);
  skipped = 0;
  failed = total - passed + 1;
  if (!output.endsWith('\n')) process.stdout.write('\n');
  console.log(`${tier}: uvu ended before its summary (${signal ?? `exit code ${code}`})`);
} else if (total === 0) {
  console.log(`${tier}: no tests found`);
}
console.log(`${tier}: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = code !== 0 || failed > 0 || total === 0 ? 1 : 0;
