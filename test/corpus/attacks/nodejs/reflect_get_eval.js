// corpus: attack class=eval form=targeted
// Reflect.get reads eval off the global object.
function main() {
  const run = Reflect.get(globalThis, 'ev' + 'al');
  return { out: run("process.getBuiltinModule('child_process').execSync('id').toString()") };
}

module.exports = { main };
