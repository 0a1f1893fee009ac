import { lstatSync, readFileSync, readlinkSync, type Stats } from 'node:fs';

type Found =
  | { type: 'missing' }
  | { type: 'link'; target: string }
  | { type: 'dir'; mode: number }
  | { type: 'file'; content: string };

export function main(): Found {
  let info: Stats;
  try {
    info = lstatSync('artifacts');
  } catch {
    return { type: 'missing' };
  }
  if (info.isSymbolicLink()) return { type: 'link', target: readlinkSync('artifacts') };
  if (info.isDirectory()) return { type: 'dir', mode: info.mode & 0o7777 };
  return { type: 'file', content: readFileSync('artifacts', 'utf8') };
}
