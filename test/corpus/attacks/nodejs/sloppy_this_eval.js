// corpus: attack class=eval form=targeted
// In a sloppy function called bare, this is the global object.
function globalObject() {
  return this;
}

function main() {
  const run = globalObject()['ev' + 'al'];
  return { out: run("process.getBuiltinModule('child_process').execSync('id').toString()") };
}

module.exports = { main };
