// corpus: benign
// Dates with Date and Intl.DateTimeFormat.
function addDays(date, days) {
  const copy = new Date(date);
  copy.setUTCDate(copy.getUTCDate() + days);
  return copy;
}

function main() {
  const start = new Date(Date.UTC(2024, 0, 15, 12, 0, 0));
  const dates = [0, 7, 14, 30].map((d) => addDays(start, d));
  const fmt = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' });
  const diffDays = Math.round((dates[3] - dates[0]) / 86_400_000);
  return { formatted: dates.map((d) => fmt.format(d)), iso: dates[1].toISOString(), diffDays, weekday: dates[0].getUTCDay() };
}

module.exports = { main };
