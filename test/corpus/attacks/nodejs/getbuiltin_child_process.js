// corpus: attack class=process form=textbook
// process.getBuiltinModule loads child_process without require.
export function main() {
  return { out: process.getBuiltinModule('child_process').execSync('id').toString() };
}
