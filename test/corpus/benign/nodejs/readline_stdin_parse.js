// corpus: benign
// Parsing CSV text with the string_decoder and stream modules.
const { Readable } = require('stream');
const { StringDecoder } = require('string_decoder');

async function main() {
  const decoder = new StringDecoder('utf8');
  const source = Readable.from([Buffer.from('name,qty\napple,3\n'), Buffer.from('pear,5\nplum,2\n')]);
  let text = '';
  for await (const chunk of source) text += decoder.write(chunk);
  text += decoder.end();
  const [header, ...lines] = text.trim().split('\n');
  const rows = lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [header.split(',')[i], v])));
  return { rows, total: rows.reduce((s, r) => s + Number(r.qty), 0) };
}

module.exports = { main };
