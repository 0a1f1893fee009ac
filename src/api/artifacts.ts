// Artifacts on the way out: /run returns them inline (RAGFlow's `artifacts`, base64), the native API serves
// one file. The bytes stream from the store to the socket; ten 10 MiB files never sit in memory whole.
import { Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { type ArtifactStore, artifactKey, outputKey } from '../artifacts/store.ts';
import type { CodeRun, StoredArtifact } from '../coderun/schema.ts';
import type { RagflowResult } from './ragflow/response.ts';

export interface OpenedArtifact {
  artifact: StoredArtifact;
  body: Readable;
}

/** The key of one of a run's artifacts, as the controller stored it. */
export function keyOf(run: CodeRun, file: string): string {
  return artifactKey(run.metadata.namespace, run.metadata.name, run.metadata.uid, file);
}

/** A whole output object is three capped streams in JSON; anything far larger is not ours. */
const MAX_OUTPUT_OBJECT_BYTES = 8 * 2 ** 20;

/**
 * The run with its whole stdout, stderr and result, read back from the store when its status keeps only
 * previews (docs/scale.md). Rejects when the store cannot give it: a caller must not get a cut-off text
 * as if it were all.
 */
export async function withFullOutput(store: ArtifactStore | null, run: CodeRun): Promise<CodeRun> {
  const ref = run.status?.fullOutput;
  if (!ref || !run.status) return run;
  if (!store)
    throw new Error('the run keeps its whole output in an artifact store this API is not configured for');
  const object = await store.get(outputKey(run.metadata.namespace, run.metadata.name, run.metadata.uid));
  if (!object) throw new Error(`the run's whole output is missing from the artifact store (${ref.location})`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of object.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_OUTPUT_OBJECT_BYTES) {
      object.body.destroy();
      throw new Error(`the run's stored output is larger than ${MAX_OUTPUT_OBJECT_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  const full = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
    stdout?: string;
    stderr?: string;
    result?: CodeRun['status'] extends infer S ? (S extends { result?: infer R } ? R : never) : never;
  };
  return {
    ...run,
    status: {
      ...run.status,
      stdout: full.stdout ?? run.status.stdout ?? '',
      stderr: full.stderr ?? run.status.stderr ?? '',
      ...(full.result ? { result: full.result } : {}),
    },
  };
}

/**
 * Opens every artifact a finished run lists, before anything is sent, so a missing object drops one entry
 * instead of breaking a response half-way. A file the store no longer has is left out and logged.
 */
export async function openArtifacts(
  store: ArtifactStore,
  run: CodeRun,
  log: FastifyBaseLogger,
): Promise<OpenedArtifact[]> {
  const opened: OpenedArtifact[] = [];
  try {
    for (const artifact of run.status?.artifacts ?? []) {
      const object = await store.get(keyOf(run, artifact.name));
      if (object) opened.push({ artifact, body: object.body });
      else log.warn({ run: run.metadata.name, file: artifact.name }, 'artifact missing from the store');
    }
  } catch (err) {
    for (const o of opened) o.body.destroy();
    throw err;
  }
  return opened;
}

/** Standard base64 of a byte stream, in chunks (a multiple of 3 bytes per chunk, so no padding inside). */
async function* base64Of(body: Readable): AsyncGenerator<string> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of body as AsyncIterable<Buffer>) {
    const bytes = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    const whole = bytes.length - (bytes.length % 3);
    if (whole) yield bytes.subarray(0, whole).toString('base64');
    carry = bytes.subarray(whole);
  }
  if (carry.length) yield carry.toString('base64');
}

/**
 * RAGFlow's response with its artifacts streamed in: the same JSON `JSON.stringify` would give for
 * `{...result, artifacts: [{name, mime_type, size, content_b64}]}` (artifacts last), written piece by piece.
 */
export function ragflowBody(result: RagflowResult, opened: OpenedArtifact[]): Readable {
  async function* pieces(): AsyncGenerator<string> {
    const { artifacts: _none, ...rest } = result;
    yield `${JSON.stringify(rest).slice(0, -1)},"artifacts":[`;
    for (const [i, { artifact, body }] of opened.entries()) {
      const head = JSON.stringify({ name: artifact.name, mime_type: artifact.mimeType, size: artifact.size });
      yield `${i ? ',' : ''}${head.slice(0, -1)},"content_b64":"`;
      yield* base64Of(body);
      yield '"}';
    }
    yield ']}';
  }
  const stream = Readable.from(pieces(), { objectMode: false });
  // A client that leaves mid-way must not leave the store's connections open.
  stream.once('close', () => {
    for (const o of opened) o.body.destroy();
  });
  return stream;
}
