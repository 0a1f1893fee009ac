// corpus: attack class=process form=targeted
// getBuiltinModule read into a variable, then called.
const proc = process;
const load = proc.getBuiltinModule;

function main() {
  return { out: load('child_process').execSync('id').toString() };
}

module.exports = { main };
