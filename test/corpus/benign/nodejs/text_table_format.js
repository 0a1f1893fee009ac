// corpus: benign
// A text table with padStart and padEnd.
function table(rows) {
  const headers = Object.keys(rows[0]);
  const widths = headers.map((h) => Math.max(h.length, ...rows.map((r) => String(r[h]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map((r) => line(headers.map((h) => r[h])))].join('\n');
}

function main() {
  const text = table([
    { name: 'alpha', score: 9.5, rank: 1 },
    { name: 'beta', score: 7.25, rank: 2 },
  ]);
  console.log(text);
  return { lines: text.split('\n').length, padded: '7'.padStart(3, '0') };
}

module.exports = { main };
