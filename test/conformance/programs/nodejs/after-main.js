const fs = require('node:fs');

// Left open, never ended: Node finishes the write before it exits.
const leftOpen = fs.createWriteStream('left-open.txt');
leftOpen.write('kept');

function main() {
  process.on('exit', () => process.stdout.write('exit\n'));
  setTimeout(() => process.stdout.write('later\n'), 50);
  return 1;
}

module.exports = main;
