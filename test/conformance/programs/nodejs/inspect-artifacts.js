const fs = require('node:fs');

function main() {
  let info;
  try {
    info = fs.lstatSync('artifacts');
  } catch {
    return { type: 'missing' };
  }
  if (info.isSymbolicLink()) return { type: 'link', target: fs.readlinkSync('artifacts') };
  if (info.isDirectory()) return { type: 'dir', mode: info.mode & 0o7777 };
  return { type: 'file', content: fs.readFileSync('artifacts', 'utf8') };
}
