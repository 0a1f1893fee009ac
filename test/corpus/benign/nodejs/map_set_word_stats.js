// corpus: benign
// Word statistics with Map and Set.
function main(args = {}) {
  const text = args.text ?? 'the cat and the hat and the bat sat on the mat';
  const counts = new Map();
  for (const word of text.split(/\s+/)) counts.set(word, (counts.get(word) ?? 0) + 1);
  const unique = new Set(text.split(' '));
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3);
  const rhymes = [...unique].filter((w) => w.endsWith('at'));
  return { top: Object.fromEntries(top), unique: unique.size, rhymes };
}

module.exports = { main };
