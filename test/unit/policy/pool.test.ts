// The policy pool: checks run in worker threads, so no program can stall or crash the caller.
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../../src/log.ts';
import { createPolicy, startPolicy } from '../../../src/policy/index.ts';
import { PolicyPool, type PolicyPoolOptions, SLOW_CHECK_MS } from '../../../src/policy/pool.ts';
import { TOO_COMPLEX_RULE } from '../../../src/policy/types.ts';
import { junk } from '../../corpus-programs.ts';

const log = createLogger('silent', 'test');
const inThread = createPolicy('strict');

function pool(opts: Partial<PolicyPoolOptions> = {}): PolicyPool {
  return new PolicyPool({ profile: 'strict', workers: 1, budgetMs: 2000, heapMb: 128, log, ...opts });
}

/** The longest gap between event-loop turns while `work` runs, in ms. */
async function worstLoopStall<T>(work: Promise<T>): Promise<{ result: T; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 5);
  try {
    return { result: await work, stallMs };
  } finally {
    clearInterval(tick);
  }
}

test('a worker gives the same verdict as the policy run in the caller', async () => {
  const p = pool();
  try {
    for (const [language, source] of [
      ['python', 'import os\nos.system("id")\n'],
      ['python', 'def main(a):\n    return {"a": a}\n'],
      ['nodejs', "require('child_process').execSync('id')"],
      ['nodejs', 'function main(args) { return args; }'],
    ] as const) {
      assert.equal(await p.check(language, source), inThread(language, source), `${language}: ${source}`);
    }
  } finally {
    await p.close();
  }
});

test('workers started together all start: none is replaced, and each pool answers its first check', async () => {
  // A worker gets gc() from a process-wide V8 flag that every starting worker sets and unsets; nine at once (an
  // API's and a controller's pools in one process, as the integration tier runs them) once lost that race, and
  // a worker that had just taken a check failed it as too complex.
  const warnings: string[] = [];
  const watched = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
  for (let round = 0; round < 3; round++) {
    const pools = Array.from({ length: 3 }, () => pool({ workers: 2, log: watched }));
    try {
      const verdicts = await Promise.all(pools.map((p) => p.check('python', 'def main(a):\n    return a\n')));
      assert.equal(
        verdicts.map((v) => v.allowed),
        [true, true, true],
      );
      await Promise.all(pools.map((p) => p.warmedUp()));
    } finally {
      await Promise.all(pools.map((p) => p.close()));
    }
  }
  assert.equal(warnings, []);
});

test("a worker's start-up is not charged to the first check it takes", async () => {
  // Loading the parsers takes a fresh worker hundreds of milliseconds on a busy machine, more than this budget.
  const p = pool({ budgetMs: 150 });
  try {
    assert.equal(await p.check('python', 'x = 1\n'), { allowed: true, findings: [] });
  } finally {
    await p.close();
  }
});

test('warmedUp() resolves once every worker has run its warm-up checks, and at once when the pool is closed', async () => {
  const p = pool({ workers: 2 });
  try {
    await p.warmedUp();
    assert.is(p.waiting, 0);
    assert.is((await p.check('nodejs', 'const x = 1;')).allowed, true);
  } finally {
    await p.close();
  }
  const closed = pool();
  const warm = closed.warmedUp();
  await closed.close();
  await warm;
});

test("babel's quadratic error recovery is refused as too complex within the budget, without stalling the caller", async () => {
  const p = pool({ budgetMs: 500 });
  try {
    await p.warmedUp();
    const started = performance.now();
    const { result, stallMs } = await worstLoopStall(p.check('nodejs', 'a:'.repeat(1024) + '\nx = ;'));
    const tookMs = performance.now() - started;
    assert.is(result.allowed, false);
    assert.is(result.findings[0]?.rule, TOO_COMPLEX_RULE);
    assert.match(result.findings[0]?.message ?? '', 'Program too complex to check');
    assert.ok(tookMs < 3000, `answered after ${tookMs.toFixed(0)} ms`);
    assert.ok(stallMs < 300, `event loop stalled ${stallMs.toFixed(0)} ms`);
    // The replaced worker serves the next check.
    assert.is((await p.check('python', 'x = 1\n')).allowed, true);
  } finally {
    await p.close();
  }
});

test('a Python program whose parse outruns the budget is refused, and the worker stays usable', async () => {
  const p = pool({ budgetMs: 400 });
  try {
    const verdict = await p.check('python', junk(65_536));
    assert.is(verdict.findings[0]?.rule, TOO_COMPLEX_RULE);
    assert.is((await p.check('python', 'import subprocess\n')).findings[0]?.rule, 'import-not-allowed');
  } finally {
    await p.close();
  }
});

test('a check that needs more memory than the heap limit is refused, and the next one works', async () => {
  const p = pool({ heapMb: 32, budgetMs: 30_000 });
  try {
    // A 256 KiB array literal: Babel's tree for it needs far more than 32 MiB.
    const verdict = await p.check('nodejs', `[${'[],'.repeat(87_000)}]`);
    assert.is(verdict.allowed, false);
    assert.is(verdict.findings[0]?.rule, TOO_COMPLEX_RULE);
    assert.is((await p.check('nodejs', 'const x = 1;')).allowed, true);
  } finally {
    await p.close();
  }
});

test('ordinary checks queued behind a costly one are answered in order', async () => {
  // A budget the costly check always outruns, and that quick checks never reach, even while the replaced
  // worker's successor starts beside them on a loaded machine.
  const p = pool({ workers: 2, budgetMs: 1000 });
  try {
    await p.warmedUp();
    const costly = p.check('nodejs', 'a:'.repeat(2048));
    const quick = await Promise.all(
      Array.from({ length: 20 }, (_, i) => p.check('python', `x = ${i}\nimport subprocess\n`)),
    );
    for (const verdict of quick) assert.is(verdict.findings[0]?.rule, 'import-not-allowed');
    assert.is((await costly).findings[0]?.rule, TOO_COMPLEX_RULE);
  } finally {
    await p.close();
  }
});

test('a check waiting behind one that has held the only worker for SLOW_CHECK_MS is answered by the spare, before it', async () => {
  const p = pool({ workers: 1 });
  try {
    await p.warmedUp();
    let costlyAnswered = false;
    // 256 KiB of junk: its parse runs to the budget (2 s) on any machine, where Babel's "a:" inputs can run out
    // of heap within SLOW_CHECK_MS on a fast one.
    const costly = p.check('python', junk(262_144)).finally(() => {
      costlyAnswered = true;
    });
    // Sent once the costly check has started, as a request arriving a moment later would be.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const quick = await p.check('python', 'import subprocess\n');
    assert.is(quick.findings[0]?.rule, 'import-not-allowed');
    assert.is(costlyAnswered, false, `the quick check waited for the costly one (> ${SLOW_CHECK_MS} ms)`);
    // Nothing waits any more: the lent worker is the spare again, and the pool serves with its own one.
    assert.equal(p.workers, { serving: 1, warm: 1, spare: 'warm' });
    assert.is((await costly).findings[0]?.rule, TOO_COMPLEX_RULE);
  } finally {
    await p.close();
  }
});

test("a replaced worker's place is taken by the warm spare, so the next check waits for no worker to start", async () => {
  const p = pool({ workers: 1, budgetMs: 500 });
  try {
    await p.warmedUp();
    assert.equal(p.workers, { serving: 1, warm: 1, spare: 'warm' });
    assert.is((await p.check('nodejs', 'a:'.repeat(2048))).findings[0]?.rule, TOO_COMPLEX_RULE);
    // The worker that ran out of budget is gone and the spare serves; a fresh spare starts a moment later, so
    // its start does not share the cores with the checks that follow at once.
    assert.equal(p.workers, { serving: 1, warm: 1, spare: 'none' });
    assert.is((await p.check('python', 'x = 1\n')).allowed, true);
    await p.warmedUp();
    assert.equal(p.workers, { serving: 1, warm: 1, spare: 'warm' });
  } finally {
    await p.close();
  }
});

test('a second refused program within the spare delay starts the next spare at once: refusals come in a burst', async () => {
  // A delay the test never reaches, so the second refusal certainly comes within it.
  const p = pool({ workers: 1, budgetMs: 200, spareStartDelayMs: 60_000 });
  try {
    await p.warmedUp();
    assert.is((await p.check('nodejs', 'a:'.repeat(2048))).findings[0]?.rule, TOO_COMPLEX_RULE);
    assert.equal(p.workers, { serving: 1, warm: 1, spare: 'none' });
    assert.is((await p.check('nodejs', 'a:'.repeat(2048))).findings[0]?.rule, TOO_COMPLEX_RULE);
    // No spare was left for the second: a fresh worker takes its place, and the next spare starts with it.
    assert.equal(p.workers, { serving: 1, warm: 0, spare: 'starting' });
    assert.is((await p.check('python', 'x = 1\n')).allowed, true);
  } finally {
    await p.close();
  }
});

test("the checker's state, as /metrics reads it, counts the pool's workers and its spare", async () => {
  const checker = startPolicy({ profile: 'strict', workers: 2, budgetMs: 2000, heapMb: 128 }, log);
  try {
    await checker.warmedUp();
    assert.equal(checker.state(), { waiting: 0, serving: 2, warm: 2, spare: 'warm' });
  } finally {
    await checker.close();
  }
  const off = startPolicy({ profile: 'off', workers: 2, budgetMs: 2000, heapMb: 128 }, log);
  assert.equal(off.state(), { waiting: 0, serving: 0, warm: 0, spare: 'none' });
});

test.run();
