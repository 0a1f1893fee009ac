// Runs every test file of one tier in a single uvu session and ends with one "N passed, N failed" line.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const tier = process.argv[2];
if (!tier || !['unit', 'integration', 'e2e', 'kind'].includes(tier)) {
  console.error('usage: node test/run.ts unit|integration|e2e|kind [filter]');
  process.exit(2);
}
const filter = process.argv[3];
const root = join(import.meta.dirname, tier);
const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.test.ts') && (!filter || f.includes(filter)))
  .sort();

const g = globalThis as unknown as { UVU_DEFER: number; UVU_QUEUE: unknown[][]; UVU_INDEX: number };
g.UVU_DEFER = 1;
g.UVU_QUEUE = [];
for (const [i, f] of files.entries()) {
  g.UVU_QUEUE.push([relative(process.cwd(), join(root, f))]);
  g.UVU_INDEX = i;
  await import(join(root, f));
}

// uvu prints "Total: / Passed: / Skipped:"; capture them to print the closing line CI reads.
let printed = '';
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
  printed += String(chunk);
  return write(chunk, ...rest);
}) as typeof process.stdout.write;
const { exec } = await import('uvu');
await exec();
process.stdout.write = write;
const count = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(printed)?.[1] ?? 0);
const total = count('Total');
const passed = count('Passed');
const skipped = count('Skipped');
if (files.length === 0 || total === 0) {
  console.log(`${tier}: no tests found`);
  process.exitCode = 1;
}
console.log(`${tier}: ${passed} passed, ${total - passed - skipped} failed, ${skipped} skipped`);
