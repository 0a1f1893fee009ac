// What of a run's output stays in etcd: with a store, at most a preview of each stream and a small result;
// the whole text goes to the store beside the artifacts, and the API returns it from there. Pure.
import type { FullOutputRef, RunResult } from '../coderun/schema.ts';
import type { Outcome } from './outcome.ts';

/** The whole output of a run whose status holds only previews (stored as one JSON object). */
export interface FullOutput {
  stdout: string;
  stderr: string;
  result?: RunResult;
}

/** The longest prefix of `text` that is at most `bytes` bytes of UTF-8, never splitting a character. */
export function utf8Prefix(text: string, bytes: number): string {
  const encoded = Buffer.from(text, 'utf8');
  if (encoded.length <= bytes) return text;
  let end = bytes;
  // Back up over continuation bytes (10xxxxxx) to the start of the character that does not fit.
  while (end > 0 && ((encoded[end] ?? 0) & 0xc0) === 0x80) end--;
  return encoded.subarray(0, end).toString('utf8');
}

const byteLength = (s: string | undefined) => Buffer.byteLength(s ?? '', 'utf8');

/**
 * The outcome as the status keeps it, and the whole output when anything was cut: a stream longer than
 * `previewBytes`, or a result whose JSON is. Null `full` when the status can hold everything.
 */
export function previewOutcome(
  outcome: Outcome,
  previewBytes: number,
): { outcome: Outcome; full: FullOutput | null } {
  const resultBytes = outcome.result?.present ? byteLength(JSON.stringify(outcome.result.value ?? null)) : 0;
  const cut =
    byteLength(outcome.stdout) > previewBytes ||
    byteLength(outcome.stderr) > previewBytes ||
    resultBytes > previewBytes;
  if (!cut) return { outcome, full: null };
  const full: FullOutput = {
    stdout: outcome.stdout ?? '',
    stderr: outcome.stderr ?? '',
    ...(outcome.result ? { result: outcome.result } : {}),
  };
  const kept: Outcome = {
    ...outcome,
    stdout: utf8Prefix(full.stdout, previewBytes),
    stderr: utf8Prefix(full.stderr, previewBytes),
    ...(outcome.result && resultBytes > previewBytes ? { result: { present: true } } : {}),
  };
  return { outcome: kept, full };
}

/** Where the whole output went, and how long each part is, for the status. */
export function fullOutputRef(full: FullOutput, location: string): FullOutputRef {
  return {
    location,
    stdoutBytes: byteLength(full.stdout),
    stderrBytes: byteLength(full.stderr),
    resultStored: Boolean(full.result?.present),
  };
}
