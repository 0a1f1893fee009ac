// corpus: benign
// util.format, util.inspect, promisify and zlib compression.
const util = require('util');
const zlib = require('zlib');

const gzip = util.promisify(zlib.gzip);

async function main() {
  const text = util.format('%s has %d items costing %j', 'cart', 3, { total: 9.5 });
  const inspected = util.inspect({ nested: { deep: { value: [1, 2, 3] } } }, { depth: 0 });
  const compressed = await gzip(Buffer.from('a'.repeat(1000)));
  const restored = zlib.gunzipSync(compressed).toString();
  return { text, inspected, ratio: compressed.length / 1000, ok: restored.length === 1000 };
}

module.exports = { main };
