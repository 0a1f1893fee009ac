// corpus: benign
// JSON parsing, reshaping and stringify with a replacer.
const raw = `{"orders":[{"id":1,"items":[{"sku":"a","qty":2,"price":3.5}]},{"id":2,"items":[{"sku":"b","qty":1,"price":10},{"sku":"a","qty":1,"price":3.5}]}]}`;

function main() {
  const { orders } = JSON.parse(raw);
  const totals = orders.map((order) => ({
    id: order.id,
    total: order.items.reduce((sum, item) => sum + item.qty * item.price, 0),
  }));
  const bySku = {};
  for (const order of orders) for (const { sku, qty } of order.items) bySku[sku] = (bySku[sku] ?? 0) + qty;
  const text = JSON.stringify({ totals, bySku }, (key, value) => (typeof value === 'number' ? Math.round(value * 100) / 100 : value), 2);
  return JSON.parse(text);
}

module.exports = { main };
