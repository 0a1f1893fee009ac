// corpus: benign
// Promises: all, allSettled, race and a timeout helper.
const sleep = (ms, value) => new Promise((resolve) => setTimeout(() => resolve(value), ms));

function withTimeout(promise, ms) {
  return Promise.race([promise, sleep(ms).then(() => { throw new Error('timeout'); })]);
}

async function main() {
  const values = await Promise.all([sleep(5, 'a'), sleep(1, 'b')]);
  const settled = await Promise.allSettled([withTimeout(sleep(50, 'slow'), 10), withTimeout(sleep(1, 'fast'), 100)]);
  return { values, settled: settled.map((s) => s.status) };
}

module.exports = { main };
