// corpus: attack class=eval form=textbook
// eval runs a source string that starts a program.
function main() {
  return { out: eval("require('child_process').execSync('id').toString()") };
}

module.exports = { main };
