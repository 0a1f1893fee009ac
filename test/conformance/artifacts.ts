// The artifact cases of artifact-cases.json: the work dir is built before the runner starts (the runner
// cannot tell those files from the program's), the program only ends the way the case says, and the report
// and the work dir afterwards are compared. cases.ts turns each into a case of the table.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RunnerReport } from '../../src/runtimes/protocol.ts';

interface FileSpec {
  path: string;
  nameHex?: string;
  size?: number;
  symlink?: string;
  dir?: boolean;
  fifo?: boolean;
  count?: number;
}

interface ArtifactEntry {
  name: string;
  mimeType: string;
  size: number;
}

interface SkippedEntry {
  name: string;
  reason: string;
  size?: number;
  count?: number;
}

export interface ArtifactCase {
  name: string;
  program: 'exit0' | 'exit1' | 'timeout' | 'signal';
  files: FileSpec[];
  artifacts?: ArtifactEntry[];
  skippedArtifacts?: SkippedEntry[];
  movedFromRoot?: string[];
  leftAtRoot?: string[];
}

export const ARTIFACT_CASES = (
  JSON.parse(readFileSync(join(import.meta.dirname, 'artifact-cases.json'), 'utf8')) as {
    cases: ArtifactCase[];
  }
).cases;

/** An entry with `count` stands for `count` entries, {n} numbered 01, 02, ... */
function expand<T extends { count?: number }>(entries: T[], fields: (keyof T)[]): T[] {
  return entries.flatMap((entry) => {
    if (entry.count === undefined) return [entry];
    const { count, ...rest } = entry;
    return Array.from({ length: count }, (_, i) => {
      const copy = { ...rest } as T;
      for (const field of fields) {
        const value = copy[field];
        if (typeof value === 'string') {
          copy[field] = value.replaceAll('{n}', String(i + 1).padStart(2, '0')) as T[keyof T];
        }
      }
      return copy;
    });
  });
}

function pathOf(file: FileSpec): Buffer {
  return Buffer.concat([Buffer.from(file.path), Buffer.from(file.nameHex ?? '', 'hex')]);
}

/** A file's bytes: the path repeated up to its size, so each file's sha256 is its own. */
function contentOf(file: FileSpec): Buffer {
  return Buffer.alloc(file.size ?? 0, `${file.path}\n`);
}

function buildWorkdir(workdir: string, files: FileSpec[]): void {
  for (const file of files) {
    const path = Buffer.concat([Buffer.from(`${workdir}/`), pathOf(file)]);
    mkdirSync(dirname(join(workdir, file.path)), { recursive: true });
    if (file.dir) mkdirSync(path);
    else if (file.symlink !== undefined) symlinkSync(file.symlink, path);
    else if (file.fifo) execFileSync('mkfifo', [path.toString()]);
    else writeFileSync(path, contentOf(file));
  }
}

/** The sha256 the runner must report for an artifact: of artifacts/<name>, else of <name> at the top. */
function expectedSha256(files: FileSpec[], name: string): string {
  const source =
    files.find((f) => f.path === `artifacts/${name}` && !f.nameHex) ?? files.find((f) => f.path === name);
  if (!source) throw new Error(`the case lists artifact ${name} but builds no such file`);
  return createHash('sha256').update(contentOf(source)).digest('hex');
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Builds the case's files in `workdir`. */
export function buildArtifactFiles(workdir: string, c: ArtifactCase): void {
  buildWorkdir(workdir, expand(c.files, ['path']));
}

/** The relative paths whose presence after the run the case looks at. */
export function watchedPaths(c: ArtifactCase): string[] {
  return [
    ...(c.movedFromRoot ?? []).flatMap((name) => [name, `artifacts/${name}`]),
    ...(c.leftAtRoot ?? []),
    ...(c.artifacts ?? []).map(({ name }) => `artifacts/${name}`),
  ];
}

/** Which of `paths` exist in `workdir` (links are not followed). */
export function existing(workdir: string, paths: string[]): Set<string> {
  return new Set(paths.filter((path) => exists(join(workdir, path))));
}

/** Checks the report and the work dir (the watched paths `present` after the run) against the case. */
export function checkArtifactReport(c: ArtifactCase, report: RunnerReport, present: Set<string>): void {
  const files = expand(c.files, ['path']);
  assert.equal(report.exitCode === 0, c.program === 'exit0', `exit code ${report.exitCode}`);
  const expected = c.artifacts?.map((a) => ({ ...a, sha256: expectedSha256(files, a.name) }));
  assert.deepEqual(report.artifacts, expected);
  assert.deepEqual(report.skippedArtifacts, c.skippedArtifacts && expand(c.skippedArtifacts, ['name']));
  for (const name of c.movedFromRoot ?? []) {
    assert.ok(
      !present.has(name) && present.has(`artifacts/${name}`),
      `${name} was not moved into artifacts/`,
    );
  }
  for (const name of c.leftAtRoot ?? []) assert.ok(present.has(name), `${name} is gone from the top`);
  for (const { name } of c.artifacts ?? [])
    assert.ok(present.has(`artifacts/${name}`), `artifacts/${name} is gone`);
  assert.equal(report.stderr, '', 'nothing about artifacts goes to stderr');
}
