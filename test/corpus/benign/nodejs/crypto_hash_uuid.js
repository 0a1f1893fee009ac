// corpus: benign
// Hashes, HMACs, UUIDs and base64 with crypto and Buffer.
const crypto = require('node:crypto');

function main(args = {}) {
  const message = args.message ?? 'hello world';
  const sha256 = crypto.createHash('sha256').update(message).digest('hex');
  const hmac = crypto.createHmac('sha1', 'key').update(message).digest('base64');
  const id = crypto.randomUUID();
  const encoded = Buffer.from(message).toString('base64');
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  return { sha256, hmac, uuidLength: id.length, encoded, roundtrip: decoded === message };
}

module.exports = { main };
