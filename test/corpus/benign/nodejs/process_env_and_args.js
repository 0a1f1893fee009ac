// corpus: benign
// Reading arguments, process.env, process.argv and memory usage.
function main(args) {
  const name = args?.name ?? process.env.USER_NAME ?? 'guest';
  const memory = process.memoryUsage();
  const started = process.hrtime.bigint();
  const items = Array.from({ length: 1000 }, (_, i) => i * i);
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  return { greeting: `hello ${name}`, heapMb: Math.round(memory.heapUsed / 1e6), count: items.length, fast: elapsed < 1000, platform: process.platform, node: process.version.startsWith('v') };
}

module.exports = { main };
