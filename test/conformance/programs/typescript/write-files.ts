import { writeFileSync } from 'node:fs';

export function main({ files }: { files: Record<string, string> }): void {
  for (const [name, text] of Object.entries(files)) writeFileSync(name, text);
}
