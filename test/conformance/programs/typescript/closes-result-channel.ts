import { closeSync } from 'node:fs';

closeSync(3);

export function main(): number {
  return 1;
}
