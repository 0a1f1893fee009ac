import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildJob, encodeJobLine, parseRunnerOutput, RESULT_MARKER } from '../../../src/runtimes/protocol.ts';
import { makeReport, makeRun } from '../../fixtures.ts';

test('the job is one JSON line carrying source, arguments and limits', () => {
  const line = encodeJobLine(buildJob(makeRun({ arguments: { a: 1 } }).spec, 10, 1024, 60));
  assert.ok(line.endsWith('\n'));
  assert.is(line.indexOf('\n'), line.length - 1);
  assert.equal(JSON.parse(line), {
    v: 1,
    language: 'python',
    source: 'def main():\n  return 1\n',
    arguments: { a: 1 },
    timeoutMs: 10_000,
    maxOutputBytes: 1024,
    artifactHoldMs: 60_000,
    holdMs: 10_000,
  });
});

test('the last result line in the output is the report', () => {
  const output = `noise\n${RESULT_MARKER}${JSON.stringify(makeReport({ exitCode: 1 }))}\n${RESULT_MARKER}${JSON.stringify(makeReport())}\n`;
  const parsed = parseRunnerOutput(output);
  assert.ok(parsed?.ok);
  if (parsed?.ok) assert.is(parsed.report.exitCode, 0);
});

test('a marker inside a line (e.g. in the JSON itself) does not start a result line', () => {
  const line = `${RESULT_MARKER}${JSON.stringify(makeReport({ stdout: `x ${RESULT_MARKER}{"v":1}` }))}\n`;
  const parsed = parseRunnerOutput(line);
  assert.ok(parsed?.ok);
  if (parsed?.ok) assert.is(parsed.report.stdout, `x ${RESULT_MARKER}{"v":1}`);
  assert.is(parseRunnerOutput(`noise ${RESULT_MARKER}{}\n`), null);
});

test('memoryKb is optional and, when present, a non-negative whole number of KiB', () => {
  const line = (fields: object) => `${RESULT_MARKER}${JSON.stringify({ ...makeReport(), ...fields })}\n`;
  const measured = parseRunnerOutput(line({ memoryKb: 51_200 }));
  assert.ok(measured?.ok);
  if (measured?.ok) assert.is(measured.report.memoryKb, 51_200);
  const { memoryKb: _, ...unmeasured } = makeReport();
  const absent = parseRunnerOutput(`${RESULT_MARKER}${JSON.stringify(unmeasured)}\n`);
  assert.ok(absent?.ok);
  if (absent?.ok) assert.is(absent.report.memoryKb, undefined);
  for (const bad of [-1, 1.5, '1024']) {
    const parsed = parseRunnerOutput(line({ memoryKb: bad }));
    assert.equal(parsed?.ok, false, String(bad));
    if (parsed && !parsed.ok) assert.match(parsed.error, "'memoryKb'");
  }
});

test("the runner's timings are read when well formed and dropped, never failing the report, when not", () => {
  const line = (fields: object) => `${RESULT_MARKER}${JSON.stringify({ ...makeReport(), ...fields })}\n`;
  const timings = {
    jobReceivedAt: 1_796_278_418_789.3,
    programStartedMs: 0.3,
    programEndedMs: 12.7,
    reportMs: 13.1,
  };
  const good = parseRunnerOutput(line({ timings }));
  assert.ok(good?.ok);
  if (good?.ok) assert.equal(good.report.timings, timings);
  for (const bad of [
    { programStartedMs: 1 },
    { jobReceivedAt: 'now' },
    { jobReceivedAt: 1, reportMs: -1 },
    7,
  ]) {
    const parsed = parseRunnerOutput(line({ timings: bad }));
    assert.ok(parsed?.ok, JSON.stringify(bad));
    if (parsed?.ok) assert.is(parsed.report.timings, undefined);
  }
});

test('output without a result line has no report', () => {
  assert.is(parseRunnerOutput('Traceback...\n'), null);
});

test('a malformed result line is an error naming the bad field', () => {
  const bad = parseRunnerOutput(`${RESULT_MARKER}${JSON.stringify({ ...makeReport(), exitCode: 'zero' })}\n`);
  assert.equal(bad?.ok, false);
  if (bad && !bad.ok) assert.match(bad.error, "'exitCode'");
  const notJson = parseRunnerOutput(`${RESULT_MARKER}{oops\n`);
  if (notJson && !notJson.ok) assert.match(notJson.error, 'not valid JSON');
  else assert.unreachable('expected a parse error');
});

test.run();
