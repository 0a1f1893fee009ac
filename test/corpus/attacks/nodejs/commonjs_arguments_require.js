// corpus: attack class=process form=targeted
// In CommonJS the module wrapper's arguments hold require.
const load = arguments[1];

function main() {
  return { out: load('child_process').execSync('id').toString() };
}

module.exports = { main };
