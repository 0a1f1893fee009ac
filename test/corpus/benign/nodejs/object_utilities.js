// corpus: benign
// Object.entries, fromEntries, structuredClone and deep equality.
function deepEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => deepEqual(a[k], b[k]));
}

function main() {
  const config = { db: { host: 'localhost', port: 5432 }, features: ['a', 'b'] };
  const copy = structuredClone(config);
  copy.db.port = 6543;
  const upper = Object.fromEntries(Object.entries(config.db).map(([k, v]) => [k.toUpperCase(), v]));
  const frozen = Object.freeze({ ...config, extra: true });
  return { changed: config.db.port !== copy.db.port, upper, equal: deepEqual(config, structuredClone(config)), frozen: Object.isFrozen(frozen) };
}

module.exports = { main };
