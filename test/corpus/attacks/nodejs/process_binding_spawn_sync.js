// corpus: attack class=process form=textbook
// process.binding('spawn_sync') spawns without child_process.
function main() {
  const result = process.binding('spawn_sync').spawn({
    file: '/usr/bin/id',
    args: ['id'],
    envPairs: [],
    stdio: [
      { type: 'pipe', readable: true, writable: false },
      { type: 'pipe', readable: false, writable: true },
      { type: 'pipe', readable: false, writable: true },
    ],
  });
  return { out: String(result.output?.[1] ?? result.status) };
}

module.exports = { main };
