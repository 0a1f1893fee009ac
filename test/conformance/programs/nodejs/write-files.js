const { writeFileSync } = require('node:fs');

function main({ files }) {
  for (const [name, text] of Object.entries(files)) writeFileSync(name, text);
}
