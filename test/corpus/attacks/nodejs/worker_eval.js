// corpus: attack class=eval form=textbook
// A worker thread evaluates a source string.
const { Worker } = require('worker_threads');

function main() {
  return new Promise((resolve) => {
    const worker = new Worker("require('child_process').execSync('id', { stdio: 'inherit' })", { eval: true });
    worker.on('exit', () => resolve({ done: true }));
  });
}

module.exports = { main };
