// corpus: attack class=process form=textbook
// An ES module imports child_process.
import { execFileSync } from 'node:child_process';

export function main() {
  return { out: execFileSync('id').toString() };
}
