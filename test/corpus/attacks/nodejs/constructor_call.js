// corpus: attack class=eval form=targeted
// .constructor.call calls Function indirectly.
function main() {
  const proc = (() => {}).constructor.call(null, 'return process')();
  return { out: proc.getBuiltinModule('child_process').execSync('id').toString() };
}

module.exports = { main };
