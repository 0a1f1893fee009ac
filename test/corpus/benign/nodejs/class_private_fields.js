// corpus: benign
// Private fields and methods, static blocks and instanceof.
class Counter {
  static #instances = 0;
  #count = 0;

  static {
    Counter.label = 'counter';
  }

  constructor(start = 0) {
    this.#count = start;
    Counter.#instances += 1;
  }

  #bump(step) {
    this.#count += step;
  }

  increment(step = 1) {
    this.#bump(step);
    return this;
  }

  get value() {
    return this.#count;
  }

  static get instances() {
    return Counter.#instances;
  }
}

export function main() {
  const a = new Counter().increment().increment(5);
  const b = new Counter(10);
  return { a: a.value, b: b.value, instances: Counter.instances, label: Counter.label, isCounter: a instanceof Counter };
}
