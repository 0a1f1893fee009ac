// corpus: attack class=eval form=textbook
// new Function builds code from a string.
function main() {
  const proc = new Function('return process')();
  return { out: proc.getBuiltinModule('child_process').execSync('id').toString() };
}

module.exports = { main };
