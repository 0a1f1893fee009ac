// corpus: attack class=eval form=targeted
// eval destructured from globalThis under another name.
const { eval: run } = globalThis;

function main() {
  return { out: run("process.getBuiltinModule('child_process').execSync('id').toString()") };
}

module.exports = { main };
