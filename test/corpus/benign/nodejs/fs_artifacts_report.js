// corpus: benign
// Files written to artifacts/ and read back with fs and path.
const fs = require('fs');
const path = require('path');

function main() {
  const dir = path.join(process.cwd(), 'artifacts');
  fs.mkdirSync(dir, { recursive: true });
  const rows = [
    ['city', 'temp'],
    ['Oslo', 4],
    ['Rome', 19],
  ];
  const csv = rows.map((r) => r.join(',')).join('\n');
  fs.writeFileSync(path.join(dir, 'temps.csv'), csv);
  fs.writeFileSync(path.join(dir, 'temps.json'), JSON.stringify(rows.slice(1), null, 2));
  const back = fs.readFileSync(path.join(dir, 'temps.csv'), 'utf8').split('\n').slice(1);
  return { files: fs.readdirSync(dir).sort(), warmest: back.map((l) => l.split(',')).sort((a, b) => b[1] - a[1])[0][0] };
}

module.exports = { main };
