import { createWriteStream, type WriteStream } from 'node:fs';

// Left open, never ended: Node finishes the write before it exits.
const leftOpen: WriteStream = createWriteStream('left-open.txt');
leftOpen.write('kept');

export default function main(): number {
  process.on('exit', () => process.stdout.write('exit\n'));
  setTimeout(() => process.stdout.write('later\n'), 50);
  return 1;
}
