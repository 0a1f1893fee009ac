// What a policy worker checks while it has nothing else to do, after it has loaded its parsers: an ordinary
// program of each language, whole and cut off mid-way (a syntax error, so the parsers' error recovery is
// compiled too). Loading a parser is not enough: until V8 has compiled the parser's and the rules' hot paths, a
// 16 KiB check costs five to ten times its usual time, and the first programs of a fresh worker would pay for it
// (see docs/performance.md, "The static policy's cost").
import type { PolicyLanguage } from '../coderun/sandbox-runtime.ts';

const PYTHON = `import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(order=True)
class Reading:
    station: str
    value: float = 0.0
    tags: list = field(default_factory=list)

    def __post_init__(self):
        if self.value < 0:
            raise ValueError(f"negative reading at {self.station!r}: {self.value:.2f}")

    @property
    def scaled(self):
        return round(self.value * 1.5, 2)


class Summary:
    """Totals per station."""

    def __init__(self, readings):
        self._readings = list(readings)
        self.by_station = defaultdict(list)
        for r in self._readings:
            self.by_station[r.station].append(r.value)

    def __len__(self):
        return len(self._readings)

    def totals(self, *, weight=1.0):
        return {k: sum(v) * weight for k, v in sorted(self.by_station.items()) if v}


def score(values, weight=1.5):
    total = sum(v * weight for v in values if v > 0)
    return math.sqrt(total) if total else 0.0


async def fetch_all(names):
    results = []
    async with Session() as session:
        for name in names:
            results.append(await session.get(name))
    return results


def main(rows=None, n: int = 10):
    rows = rows or [{"station": "a" + str(i % 3), "value": i * 0.5} for i in range(n)]
    readings = [Reading(**row) for row in rows]
    frame = pd.DataFrame([{"station": r.station, "value": r.value} for r in readings])
    grouped = frame.groupby("station")["value"].agg(["mean", "sum"]).reset_index()
    counts = Counter(r.station for r in readings)
    matrix = np.arange(n, dtype=float).reshape(-1, 1) @ np.ones((1, 2))
    try:
        with open("artifacts/summary.json", "w") as out:
            json.dump({"counts": dict(counts), "rows": len(readings)}, out, indent=2)
    except OSError as error:
        print("could not write:", error)
    label = "total: %s, mean: %.1f" % (len(readings), matrix.mean())
    words = ", ".join(sorted({w.lower() for w in label.split() if w.isalpha()}))
    lookup = {key: getattr(Summary(readings), "totals")() for key in ("a", "b")}
    return {"grouped": grouped.to_dict("records"), "label": label, "words": words, "lookup": lookup,
            "score": score([r.value for r in readings]), "first": readings[0].scaled if readings else None,
            "shape": list(matrix.shape), "lambda": list(map(lambda x: x ** 2, range(3)))[::-1]}
`;

const NODEJS = `const fs = require('fs');
const path = require('path');
const { EventEmitter } = require('events');

class Account extends EventEmitter {
  #balance = 0;
  static count = 0;

  constructor(owner, opening = 0) {
    super();
    this.owner = owner;
    this.#balance = opening;
    Account.count += 1;
  }

  get balance() {
    return this.#balance;
  }

  deposit(amount) {
    if (!(amount > 0)) throw new RangeError(\`bad amount \${amount} for \${this.owner}\`);
    this.#balance += amount;
    this.emit('change', { owner: this.owner, balance: this.#balance });
    return this;
  }
}

function score(values, weight = 1.5) {
  const total = values.filter((v) => v > 0).reduce((a, b) => a + b * weight, 0);
  return total ? Math.sqrt(total) : 0;
}

async function retry(fn, { attempts = 3, delay = 10 } = {}) {
  for (let i = 0; i < attempts; i++) {
    try {
      return await fn(i);
    } catch (error) {
      if (i === attempts - 1) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay * 2 ** i));
    }
  }
}

function* pairs(items) {
  for (const [i, item] of items.entries()) yield [i, item?.name ?? 'unknown'];
}

async function main({ rows = [], n = 10 } = {}) {
  const data = rows.length ? rows : Array.from({ length: n }, (_, i) => ({ name: 'r' + (i % 3), value: i / 2 }));
  const byName = new Map();
  for (const { name, value } of data) byName.set(name, [...(byName.get(name) ?? []), value]);
  const totals = Object.fromEntries([...byName].map(([k, v]) => [k, score(v)]));
  const account = new Account('data', 1).deposit(2);
  account.on('change', (event) => console.log(JSON.stringify(event)));
  const words = 'The quick brown fox'.toLowerCase().split(/\\s+/).filter(Boolean);
  const out = path.join('artifacts', 'summary.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ totals, words }, null, 2));
  const value = await retry(async (i) => (i < 1 ? Promise.reject(new Error('again')) : i));
  return { totals, words, value, pairs: [...pairs(data)].slice(0, 2), balance: account.balance, n: Account.count };
}

module.exports = { main };
`;

/** The programs a fresh worker checks, each language's whole and cut in half. */
export const WARM_UP_PROGRAMS: readonly (readonly [PolicyLanguage, string])[] = [PYTHON, NODEJS].flatMap(
  (source, i) => wholeAndCut(i === 0 ? 'python' : 'javascript', source),
);

// The same programs seven times over (each JavaScript copy in a block of its own, so that it still parses),
// 15-17 KiB: the parsers' buffers and stacks then grow as a 16 KiB program's do. Warmed up on the small
// programs only, a worker's first 16 KiB checks still deoptimised and recompiled the parsers' hot paths
// (14 deoptimisations in its first eight, 6-8 after these).
const LARGE_WARM_UP_PROGRAMS = [
  ...wholeAndCut('python', PYTHON.repeat(7)),
  ...wholeAndCut('javascript', `{\n${NODEJS}}\n`.repeat(7)),
];

function wholeAndCut(language: PolicyLanguage, source: string): (readonly [PolicyLanguage, string])[] {
  return [
    [language, source],
    [language, source.slice(0, source.length >> 1)],
  ];
}

// Forty rounds (~0.3 s of CPU here) bring the first 16 KiB check to its steady cost; twenty leave it at 1.5x,
// none at 5x. The first round is the slow one (up to 40 ms of CPU a check while V8 compiles, later ones 10 ms at
// most): a worker runs it before it takes programs, and the rest between its checks, then the large programs
// (~0.1-0.3 s of CPU more).
const ROUNDS = 40;
const COLD_ROUNDS = 1;
const LARGE_ROUNDS = 3;

/** The warm-up checks, one at a time: those to run before taking programs, then those to run between them. */
export function warmUpChecks(): {
  cold: (readonly [PolicyLanguage, string])[];
  idle: Generator<readonly [PolicyLanguage, string]>;
} {
  const cold = Array.from({ length: COLD_ROUNDS }, () => WARM_UP_PROGRAMS).flat();
  function* idle() {
    for (let round = COLD_ROUNDS; round < ROUNDS; round++) yield* WARM_UP_PROGRAMS;
    for (let round = 0; round < LARGE_ROUNDS; round++) yield* LARGE_WARM_UP_PROGRAMS;
  }
  return { cold, idle: idle() };
}
