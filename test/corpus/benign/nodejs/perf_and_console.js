// corpus: benign
// performance.now timing and console output.
import { performance } from 'node:perf_hooks';
import os from 'node:os';

export function main() {
  const start = performance.now();
  let total = 0;
  for (let i = 0; i < 100_000; i++) total += Math.sqrt(i);
  const ms = performance.now() - start;
  console.table([{ total: Math.round(total), fast: ms < 5000 }]);
  return { total: Math.round(total), cpus: os.cpus().length > 0, eol: JSON.stringify(os.EOL) };
}
