// corpus: benign
// EventEmitter-based processing with events.once.
const { EventEmitter, once } = require('events');

class Pipeline extends EventEmitter {
  constructor() {
    super();
    this.results = [];
  }

  push(value) {
    this.emit('data', value);
    if (value === null) this.emit('end');
  }
}

async function main() {
  const pipeline = new Pipeline();
  pipeline.on('data', (value) => value !== null && pipeline.results.push(value * 2));
  const done = once(pipeline, 'end');
  for (const v of [1, 2, 3, null]) setImmediate(() => pipeline.push(v));
  await done;
  return { results: pipeline.results, listeners: pipeline.listenerCount('data') };
}

module.exports = { main };
