// corpus: benign
// A safe merge that refuses '__proto__' and 'constructor' keys.
function safeMerge(target, source) {
  for (const key of Object.keys(source)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    const value = source[key];
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      target[key] = safeMerge(target[key] ?? {}, value);
    } else {
      target[key] = value;
    }
  }
  return target;
}

function main() {
  const merged = safeMerge({ a: 1, nested: { x: 1 } }, JSON.parse('{"nested": {"y": 2}, "__proto__": {"polluted": true}, "b": 3}'));
  return { merged, polluted: {}.polluted === true };
}

module.exports = { main };
