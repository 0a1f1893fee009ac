// corpus: benign
// Sorting with comparators, binary search and memoisation with Map.
function binarySearch(sorted, target) {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (sorted[mid] === target) return mid;
    if (sorted[mid] < target) low = mid + 1;
    else high = mid - 1;
  }
  return -1;
}

const memo = new Map();
function paths(r, c) {
  if (r === 1 || c === 1) return 1;
  const key = `${r},${c}`;
  if (!memo.has(key)) memo.set(key, paths(r - 1, c) + paths(r, c - 1));
  return memo.get(key);
}

function main() {
  const people = [{ name: 'Zoe', age: 25 }, { name: 'Adam', age: 31 }, { name: 'Mia', age: 25 }];
  people.sort((a, b) => a.age - b.age || a.name.localeCompare(b.name));
  const numbers = [42, 7, 19, 3, 88].sort((a, b) => a - b);
  return { people: people.map((p) => p.name), index: binarySearch(numbers, 19), paths: paths(10, 10) };
}

module.exports = { main };
