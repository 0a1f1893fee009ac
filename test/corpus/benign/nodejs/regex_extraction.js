// corpus: benign
// Regular expressions with named groups, matchAll and replace callbacks.
const LOG = `2024-05-01 ERROR [db] connection lost
2024-05-01 INFO [api] started
2024-05-02 WARN [db] slow query 1200ms
2024-05-03 ERROR [api] timeout after 30s`;

function main() {
  const pattern = /^(?<date>\d{4}-\d{2}-\d{2}) (?<level>\w+) \[(?<area>\w+)\] (?<message>.+)$/gm;
  const entries = [...LOG.matchAll(pattern)].map((m) => ({ ...m.groups }));
  const errors = entries.filter((e) => e.level === 'ERROR').map((e) => e.area);
  const redacted = 'mail me at ana@example.com or bob@test.org'.replace(/[\w.]+@[\w.]+/g, (m) => `${m[0]}***`);
  const durations = [...LOG.matchAll(/(\d+)(ms|s)\b/g)].map(([, n, unit]) => Number(n) * (unit === 's' ? 1000 : 1));
  return { entries: entries.length, errors, redacted, durations };
}

module.exports = { main };
