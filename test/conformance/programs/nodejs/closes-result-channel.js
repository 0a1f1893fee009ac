require('node:fs').closeSync(3);

function main() {
  return 1;
}
