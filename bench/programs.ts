// Shared by the benchmarks: realistic programs of a given size, and percentiles.
const PYTHON_BODY = `import math, json
from collections import Counter

def score(values, weight=1.5):
    total = sum(v * weight for v in values if v > 0)
    return math.sqrt(total) if total else 0.0

`;
const NODE_BODY = 'function score(v) { return v.filter((x) => x > 0).reduce((a, b) => a + b, 0); }\n';

/** A program of exactly `bytes` characters: ordinary helper code repeated, then main(). */
export function program(bytes: number, language: 'python' | 'nodejs'): string {
  const body = language === 'python' ? PYTHON_BODY : NODE_BODY;
  const main =
    language === 'python'
      ? 'def main(n):\n    return {"s": score(range(n))}\n'
      : 'function main({ n }) { return { s: n }; }\n';
  return body.repeat(Math.ceil((bytes - main.length) / body.length)).slice(0, bytes - main.length) + main;
}

export function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return {
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
    p50: at(0.5),
    p95: at(0.95),
    max: sorted.at(-1) as number,
  };
}
