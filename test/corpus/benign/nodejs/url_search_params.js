// corpus: benign
// URL and URLSearchParams.
function main() {
  const url = new URL('https://shop.example.com/search?q=red+shoes&page=2&sort=price');
  url.searchParams.set('page', '3');
  url.searchParams.append('filter', 'in-stock');
  const params = Object.fromEntries(url.searchParams);
  const next = new URL('../cart', url);
  return { host: url.host, params, href: url.href, next: next.pathname };
}

module.exports = { main };
