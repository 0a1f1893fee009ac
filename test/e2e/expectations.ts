// What the e2e tier and the kind tier both expect of a release: how each sample in deploy/samples ends, and
// what a valid chart coming back through /run looks like.
import zlib from 'node:zlib';
import * as assert from 'uvu/assert';
import type { RagflowResult } from '../../src/api/ragflow/response.ts';
import type { CodeRun } from '../../src/coderun/schema.ts';
import { describeRun } from './support.ts';

/** deploy/samples/<name>.yaml -> the check of the CodeRun it ends as. */
export const SAMPLES: Record<string, (run: CodeRun) => void> = {
  'python-hello': (run) => {
    assert.is(run.status?.reason, 'Completed', describeRun(run));
    assert.equal(run.status?.result, { present: true, value: { greeting: 'hello, world', total: 6 } });
    assert.match(run.status?.stdout ?? '', 'hello, world');
  },
  'nodejs-hello': (run) => {
    assert.is(run.status?.reason, 'Completed', describeRun(run));
    assert.equal(run.status?.result, { present: true, value: { sum: 42 } });
  },
  'python-timeout': (run) => {
    assert.is(run.status?.phase, 'Failed', describeRun(run));
    assert.is(run.status?.reason, 'TimedOut');
  },
  'python-chart': (run) => {
    assert.is(run.status?.reason, 'Completed', describeRun(run));
    const [chart, ...more] = run.status?.artifacts ?? [];
    assert.is(more.length, 0, describeRun(run));
    assert.is(chart?.name, 'chart.png');
    assert.is(chart?.mimeType, 'image/png');
    assert.match(chart?.sha256 ?? '', /^[0-9a-f]{64}$/);
    assert.match(chart?.location ?? '', /^s3:\/\/[^/]+\/.*\/chart\.png$/);
  },
  'python-rejected': (run) => {
    assert.is(run.status?.phase, 'Failed', describeRun(run));
    assert.is(run.status?.reason, 'PolicyRejected');
    assert.is(run.status?.policyFindings?.[0]?.line, 1);
    assert.is(run.status?.podName, undefined, 'no sandbox Pod for a rejected program');
  },
};

/** RAGFlow's everyday case: a matplotlib chart saved to artifacts/, which comes back as one PNG. */
export const CHART_PROGRAM = `import matplotlib.pyplot as plt

def main():
    plt.plot([1, 2, 3], [3, 1, 2])
    plt.savefig("artifacts/chart.png")
    return "drawn"
`;

const PNG_SIGNATURE = Buffer.from('89504e470d0a1a0a', 'hex');

/** Walks a PNG's chunks, checking each CRC; true for a whole, valid file that ends with IEND. */
export function validPng(bytes: Buffer): boolean {
  if (!bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return false;
  let at = 8;
  while (at + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.subarray(at + 4, at + 8);
    const crc = bytes.readUInt32BE(at + 8 + length);
    if (zlib.crc32(bytes.subarray(at + 4, at + 8 + length)) !== crc) return false;
    at += 12 + length;
    if (type.toString('latin1') === 'IEND') return at === bytes.length;
  }
  return false;
}

export type Artifact = RagflowResult['artifacts'][number];
/** An artifact's bytes, from the base64 /run returns. */
export const decoded = (a: Artifact | undefined) => Buffer.from(a?.content_b64 ?? '', 'base64');
