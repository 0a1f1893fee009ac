// corpus: attack class=eval form=targeted
// A file the program wrote, then required.
const fs = require('fs');

function main() {
  fs.writeFileSync('helper.js', "module.exports = require('child_process').execSync('id').toString();");
  return { out: require('./helper.js') };
}

module.exports = { main };
