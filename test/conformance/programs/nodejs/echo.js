function main({ stdout = '', stderr = '', value = null }) {
  process.stdout.write(stdout);
  process.stderr.write(stderr);
  return value;
}
