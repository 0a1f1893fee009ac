// corpus: benign
// Number formatting with Intl and toFixed.
export function main() {
  const prices = [1234.5, 99.99, 0.5, 1_000_000];
  const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
  const eur = new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'EUR' });
  const compact = new Intl.NumberFormat('en', { notation: 'compact' });
  return {
    usd: prices.map((p) => usd.format(p)),
    eur: eur.format(prices[0]),
    compact: compact.format(prices[3]),
    percent: (0.4567 * 100).toFixed(1) + '%',
  };
}
