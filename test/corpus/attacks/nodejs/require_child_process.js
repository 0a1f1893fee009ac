// corpus: attack class=process form=textbook
// require('child_process') runs a program.
const { execSync } = require('child_process');

function main() {
  return { out: execSync('id').toString() };
}

module.exports = { main };
