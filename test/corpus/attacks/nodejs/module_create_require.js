// corpus: attack class=process form=textbook
// createRequire from the module built-in loads child_process.
import { createRequire } from 'node:module';

export function main() {
  const load = createRequire(import.meta.url);
  return { out: load('child_process').execSync('id').toString() };
}
