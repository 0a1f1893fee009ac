// corpus: benign
// An async worker pool over a queue of tasks.
async function runPool(tasks, concurrency) {
  const results = new Array(tasks.length);
  let next = 0;
  async function worker(id) {
    while (next < tasks.length) {
      const index = next++;
      results[index] = `${await tasks[index]()} by worker ${id}`;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, id) => worker(id)));
  return results;
}

async function main() {
  const tasks = [30, 10, 20, 5].map((ms, i) => () => new Promise((r) => setTimeout(() => r(`task ${i}`), ms)));
  return { results: await runPool(tasks, 2) };
}

module.exports = { main };
