// corpus: benign
// Matrix multiplication, transpose and statistics with Math.
const multiply = (a, b) => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const transpose = (m) => m[0].map((_, i) => m.map((row) => row[i]));

function stddev(values) {
  const mean = values.reduce((a, b) => a + b) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
}

function main() {
  const a = [[1, 2], [3, 4]];
  const b = [[5, 6], [7, 8]];
  return { product: multiply(a, b), transposed: transpose(a), std: Number(stddev([2, 4, 4, 4, 5, 5, 7, 9]).toFixed(3)), hypot: Math.hypot(3, 4) };
}

module.exports = { main };
