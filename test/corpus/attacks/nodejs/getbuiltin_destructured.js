// corpus: attack class=process form=targeted
// getBuiltinModule destructured from process under another name.
const { getBuiltinModule: load } = process;

function main() {
  return { out: load.call(process, 'child_process').execSync('id').toString() };
}

module.exports = { main };
