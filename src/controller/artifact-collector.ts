// Moves a finished run's artifacts from its sandbox into the store: the runner lists them (name, size,
// sha256) and keeps the sandbox alive; the controller re-checks the list, reads the files as one tar
// stream and streams each into the store while hashing it. Nothing is buffered whole, so ten 10 MiB
// files cost the controller a few chunks of memory, and a file that changed after the runner hashed it
// (a stray process) is refused rather than returned.
import { createHash } from 'node:crypto';
import { Readable, Transform, type Writable } from 'node:stream';
import { extract as tarExtract } from 'tar-stream';
import {
  ARTIFACT_LIMITS,
  isArtifactName,
  mimeTypeOf,
  SKIP_REASONS,
  type SkipReason,
} from '../artifacts/rules.ts';
import { type ArtifactStore, artifactKey, outputKey } from '../artifacts/store.ts';
import type { FullOutputRef, SkippedArtifact, StoredArtifact } from '../coderun/schema.ts';
import type { RunnerReport } from '../runtimes/protocol.ts';
import { type FullOutput, fullOutputRef } from './output-preview.ts';

export interface WantedArtifact {
  name: string;
  mimeType: string;
  size: number;
  sha256: string;
}

export interface ArtifactPlan {
  wanted: WantedArtifact[];
  skipped: SkippedArtifact[];
}

export interface CollectedArtifacts {
  stored: StoredArtifact[];
  skipped: SkippedArtifact[];
  output?: FullOutputRef;
}

/** Reads files of a sandbox's artifacts folder as one tar stream into `sink` (the runner protocol's fetch). */
export interface SandboxFiles {
  readArtifacts(namespace: string, podName: string, names: string[], sink: Writable): Promise<void>;
}

/** Unicode code point order (the runners' order too), not JavaScript's UTF-16 one. */
export function byName(a: { name: string }, b: { name: string }): number {
  return Buffer.compare(Buffer.from(a.name), Buffer.from(b.name));
}

const KNOWN_REASONS: ReadonlySet<string> = new Set(SKIP_REASONS);

/** Pure: what of a runner's list the controller fetches and what it reports as skipped, by RAGFlow's rules. */
export function planArtifacts(report: RunnerReport): ArtifactPlan {
  const skipped: SkippedArtifact[] = [];
  const skip = (name: string, reason: SkipReason, size?: number) =>
    skipped.push({ name: name.slice(0, 255), reason, ...(size === undefined ? {} : { size }) });
  for (const s of report.skippedArtifacts ?? [])
    skip(s.name, KNOWN_REASONS.has(s.reason) ? (s.reason as SkipReason) : 'name', s.size);
  const seen = new Set<string>();
  const valid: WantedArtifact[] = [];
  for (const a of report.artifacts ?? []) {
    const mimeType = mimeTypeOf(a.name);
    if (!isArtifactName(a.name) || seen.has(a.name)) skip(a.name, 'name');
    else if (!mimeType) skip(a.name, 'extension', a.size);
    else if (a.size === 0) skip(a.name, 'empty', 0);
    else if (a.size > ARTIFACT_LIMITS.maxBytes) skip(a.name, 'too-large', a.size);
    else if (!/^[0-9a-f]{64}$/.test(a.sha256)) skip(a.name, 'changed', a.size);
    else valid.push({ name: a.name, mimeType, size: a.size, sha256: a.sha256 });
    seen.add(a.name);
  }
  valid.sort(byName);
  for (const a of valid.slice(ARTIFACT_LIMITS.maxFiles)) skip(a.name, 'limit', a.size);
  return {
    wanted: valid.slice(0, ARTIFACT_LIMITS.maxFiles),
    skipped: skipped.slice(0, ARTIFACT_LIMITS.maxSkipped),
  };
}

/** Pure: every wanted file as skipped for one reason (no store, or the fetch failed for good). */
export function allSkipped(plan: ArtifactPlan, reason: SkipReason): SkippedArtifact[] {
  return [...plan.wanted.map((a) => ({ name: a.name, reason, size: a.size })), ...plan.skipped].slice(
    0,
    ARTIFACT_LIMITS.maxSkipped,
  );
}

export interface RunRef {
  namespace: string;
  name: string;
  uid: string;
  podName: string;
}

export class ArtifactCollector {
  private readonly files: SandboxFiles;
  private readonly store: ArtifactStore;

  constructor(files: SandboxFiles, store: ArtifactStore) {
    this.files = files;
    this.store = store;
  }

  /**
   * Stores the whole output (when given) and the plan's files; rejects when the sandbox cannot be read or
   * the store refuses. Idempotent: a second call after a restart writes the same keys again.
   */
  async collect(run: RunRef, plan: ArtifactPlan, output?: FullOutput): Promise<CollectedArtifacts> {
    let outputRef: FullOutputRef | undefined;
    if (output) {
      const key = outputKey(run.namespace, run.name, run.uid);
      const bytes = Buffer.from(JSON.stringify(output), 'utf8');
      await this.store.put(key, Readable.from([bytes]), bytes.length, 'application/json');
      outputRef = fullOutputRef(output, this.store.location(key));
    }
    const files = plan.wanted.length
      ? await this.collectFiles(run, plan)
      : { stored: [], skipped: plan.skipped };
    return { ...files, ...(outputRef ? { output: outputRef } : {}) };
  }

  private async collectFiles(run: RunRef, plan: ArtifactPlan): Promise<CollectedArtifacts> {
    const wanted = new Map(plan.wanted.map((a) => [a.name, a]));
    const stored = new Map<string, StoredArtifact>();
    const changed: SkippedArtifact[] = [];
    const extract = tarExtract();
    extract.on('entry', (header, stream, next) => {
      const want = wanted.get(header.name);
      if (!want || stored.has(want.name) || header.type !== 'file' || header.size !== want.size) {
        stream.on('end', () => next());
        stream.resume();
        return;
      }
      const hash = createHash('sha256');
      const hashing = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      });
      stream.pipe(hashing);
      const key = artifactKey(run.namespace, run.name, run.uid, want.name);
      this.store
        .put(key, hashing, want.size, want.mimeType)
        .then(async () => {
          if (hash.digest('hex') === want.sha256) {
            stored.set(want.name, { ...want, location: this.store.location(key) });
          } else {
            await this.store.deletePrefix(key);
          }
          next();
        })
        .catch((err: unknown) => next(err instanceof Error ? err : new Error(String(err))));
    });
    const finished = new Promise<void>((resolve, reject) => {
      extract.on('finish', resolve);
      extract.on('error', reject);
    });
    await Promise.all([
      this.files.readArtifacts(
        run.namespace,
        run.podName,
        [...wanted.keys()],
        extract as unknown as Writable,
      ),
      finished,
    ]);
    for (const want of plan.wanted)
      if (!stored.has(want.name)) changed.push({ name: want.name, reason: 'changed', size: want.size });
    return {
      stored: plan.wanted.flatMap((a) => stored.get(a.name) ?? []),
      skipped: [...changed, ...plan.skipped].slice(0, ARTIFACT_LIMITS.maxSkipped),
    };
  }
}
