// corpus: benign
// Generators, Symbol.iterator and iterator helpers.
class Range {
  constructor(start, end, step = 1) {
    Object.assign(this, { start, end, step });
  }

  *[Symbol.iterator]() {
    for (let i = this.start; i < this.end; i += this.step) yield i;
  }
}

function* fibonacci() {
  let [a, b] = [0, 1];
  while (true) {
    yield a;
    [a, b] = [b, a + b];
  }
}

function take(iterable, n) {
  const out = [];
  for (const value of iterable) {
    if (out.length >= n) break;
    out.push(value);
  }
  return out;
}

function main() {
  return { range: [...new Range(0, 10, 3)], fib: take(fibonacci(), 10) };
}

module.exports = { main };
