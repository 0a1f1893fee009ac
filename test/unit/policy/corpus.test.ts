// The red-team corpus (test/corpus, read by test/corpus-programs.ts): every attack and every ordinary program
// through each profile of the static policy, with the figures README reports. Prints block rate,
// false-positive rate and check time per profile. test/e2e/corpus.test.ts sends the same corpus through
// POST /run of a running install.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../../src/log.ts';
import { createPolicy } from '../../../src/policy/index.ts';
import { PolicyPool } from '../../../src/policy/pool.ts';
import type { PolicyProfile } from '../../../src/policy/types.ts';
import {
  buildPathological,
  type CorpusProgram,
  isProcessOrNative,
  loadCorpus,
  loadPathological,
  median,
  percent,
} from '../../corpus-programs.ts';

const PROFILES: PolicyProfile[] = ['strict', 'compat', 'off'];

const corpus = loadCorpus();
const attacks = corpus.filter((p) => p.attack);
const benign = corpus.filter((p) => !p.attack);

interface Result {
  program: CorpusProgram;
  allowed: boolean;
  ms: number;
}

/** Checks every program once to warm the parsers up, then again, timing each check in this thread. */
function runProfile(profile: PolicyProfile): Result[] {
  const policy = createPolicy(profile);
  for (const program of corpus) policy(program.language, program.source);
  return corpus.map((program) => {
    const started = performance.now();
    const verdict = policy(program.language, program.source);
    return { program, allowed: verdict.allowed, ms: performance.now() - started };
  });
}

const rate = (results: Result[], pick: (r: Result) => boolean) => {
  const chosen = results.filter(pick);
  return { blocked: chosen.filter((r) => !r.allowed).length, total: chosen.length };
};

const results = new Map(PROFILES.map((profile) => [profile, runProfile(profile)]));

test('the corpus holds at least 80 attacks and 80 ordinary programs, each with its class', () => {
  assert.ok(attacks.length >= 80, `${attacks.length} attacks`);
  assert.ok(benign.length >= 80, `${benign.length} ordinary programs`);
  const classes = new Set(['process', 'native', 'eval', 'internals', 'deserialise', 'socket']);
  for (const attack of attacks) {
    assert.ok(classes.has(attack.attackClass), `${attack.name}: class ${attack.attackClass}`);
    assert.ok(['textbook', 'targeted'].includes(attack.form), `${attack.name}: form ${attack.form}`);
  }
});

test('prints block rate, false-positive rate and check time per profile', () => {
  const lines = ['', 'Policy corpus: node test/run.ts unit corpus', ''];
  lines.push(
    `${attacks.length} attacks (${attacks.filter(isProcessOrNative).length} process/native, ${attacks.filter((a) => a.form === 'textbook').length} textbook), ${benign.length} ordinary programs`,
  );
  lines.push(
    'profile  attacks blocked   process/native    textbook          false positives   median ms  max ms',
  );
  for (const [profile, profileResults] of results) {
    const all = rate(profileResults, (r) => r.program.attack);
    const processNative = rate(profileResults, (r) => r.program.attack && isProcessOrNative(r.program));
    const textbook = rate(profileResults, (r) => r.program.attack && r.program.form === 'textbook');
    const falsePositives = rate(profileResults, (r) => !r.program.attack);
    const times = profileResults.map((r) => r.ms);
    const cell = (r: { blocked: number; total: number }) =>
      `${r.blocked}/${r.total} ${percent(r.blocked, r.total)}`.padEnd(18);
    lines.push(
      `${profile.padEnd(9)}${cell(all)}${cell(processNative)}${cell(textbook)}${cell(falsePositives)}${median(times).toFixed(2).padStart(9)}${Math.max(
        ...times,
      )
        .toFixed(2)
        .padStart(8)}`,
    );
  }
  const strict = results.get('strict') ?? [];
  const byClass = new Map<string, Result[]>();
  for (const r of strict.filter((r) => r.program.attack)) {
    byClass.set(r.program.attackClass, [...(byClass.get(r.program.attackClass) ?? []), r]);
  }
  lines.push(
    `strict by class: ${[...byClass].map(([name, rs]) => `${name} ${rs.filter((r) => !r.allowed).length}/${rs.length}`).join(', ')}`,
  );
  const missed = strict.filter((r) => r.program.attack && r.allowed).map((r) => r.program.name);
  lines.push(`strict lets through: ${missed.join(', ') || 'nothing'}`);
  console.log(lines.join('\n'));
});

test('strict refuses at least 95% of the attacks that start processes or load native code', () => {
  const { blocked, total } = rate(
    results.get('strict') ?? [],
    (r) => r.program.attack && isProcessOrNative(r.program),
  );
  assert.ok(blocked / total >= 0.95, `${blocked} of ${total}`);
});

test('strict and compat refuse every textbook attack', () => {
  for (const profile of ['strict', 'compat'] as const) {
    const missed = (results.get(profile) ?? []).filter(
      (r) => r.program.attack && r.program.form === 'textbook' && r.allowed,
    );
    assert.equal(
      missed.map((r) => r.program.name),
      [],
      profile,
    );
  }
});

test('strict allows every ordinary program', () => {
  const refused = (results.get('strict') ?? []).filter((r) => !r.program.attack && !r.allowed);
  assert.equal(
    refused.map((r) => r.program.name),
    [],
  );
});

test('off allows everything', () => {
  assert.ok((results.get('off') ?? []).every((r) => r.allowed));
});

test('the pathological inputs are answered within the budget while an ordinary check beside each is answered at once', async () => {
  const inputs = loadPathological();
  const budgetMs = 2000;
  const pool = new PolicyPool({
    profile: 'strict',
    workers: 2,
    budgetMs,
    heapMb: 128,
    log: createLogger('silent', 'test'),
  });
  const lines: string[] = [];
  try {
    for (const input of inputs) {
      // Each input meets a whole pool: a pool's start, and the replacement of the worker the previous
      // input cost, are not part of what this measures (a costly check beside an ordinary one). Under load
      // a replacement takes seconds to load its parsers, and a check then waits for it, not for the input.
      await pool.warmedUp();
      const started = performance.now();
      const costly = pool.check(input.language, buildPathological(input)).then((verdict) => ({
        verdict,
        ms: performance.now() - started,
      }));
      const besideStarted = performance.now();
      const beside = await pool.check('python', 'import json\nprint(json.dumps({"a": 1}))\n');
      const besideMs = performance.now() - besideStarted;
      const { verdict, ms } = await costly;
      lines.push(
        `${input.name.padEnd(62)} ${ms.toFixed(0).padStart(5)} ms  ${verdict.allowed ? 'allowed' : (verdict.findings[0]?.rule ?? '')}; beside it ${besideMs.toFixed(0)} ms`,
      );
      assert.ok(ms < budgetMs + 1500, `${input.name}: ${ms.toFixed(0)} ms`);
      assert.ok(
        beside.allowed && besideMs < budgetMs,
        `${input.name}: the check beside it took ${besideMs} ms`,
      );
    }
  } finally {
    await pool.close();
    console.log(lines.join('\n'));
  }
});

test.run();
