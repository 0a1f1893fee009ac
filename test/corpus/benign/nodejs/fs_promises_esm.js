// corpus: benign
// fs/promises in an ES module with top-level await.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

await mkdir('artifacts', { recursive: true });

export async function main() {
  const file = join('artifacts', 'notes.md');
  await writeFile(file, '# Notes\n\n- first\n- second\n');
  const text = await readFile(file, 'utf8');
  return { bullets: text.split('\n').filter((l) => l.startsWith('- ')).length };
}
