// corpus: benign
// Array reduce, grouping and statistics.
const sales = [
  { rep: 'ana', region: 'north', amount: 1200 },
  { rep: 'ben', region: 'south', amount: 800 },
  { rep: 'ana', region: 'north', amount: 450 },
  { rep: 'cy', region: 'east', amount: 990 },
  { rep: 'ben', region: 'south', amount: 300 },
];

function groupBy(items, key) {
  return items.reduce((groups, item) => {
    (groups[item[key]] ??= []).push(item);
    return groups;
  }, {});
}

function main() {
  const byRep = Object.entries(groupBy(sales, 'rep')).map(([rep, rows]) => ({ rep, total: rows.reduce((s, r) => s + r.amount, 0) }));
  const amounts = sales.map((s) => s.amount).sort((a, b) => a - b);
  const mean = amounts.reduce((a, b) => a + b, 0) / amounts.length;
  const median = amounts[Math.floor(amounts.length / 2)];
  return { byRep: byRep.sort((a, b) => b.total - a.total), mean, median, max: Math.max(...amounts) };
}

module.exports = { main };
