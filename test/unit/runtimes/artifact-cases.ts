// The artifact cases of artifact-cases.json, run the same way against either runner: the work dir is
// built before the runner starts (the runner cannot tell those files from the program's), the program
// only ends the way the case says, and the report and the work dir afterwards are compared.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as assert from 'uvu/assert';
import type { Job } from '../../../src/runtimes/protocol.ts';
import { jobLine, reportOf, runRunner, startRunner } from './runner-harness.ts';

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

const TIMEOUT_MS = 1000;

const PROGRAMS: Record<Job['language'], Record<ArtifactCase['program'], string>> = {
  python: {
    exit0: 'print("done")\n',
    exit1: 'raise SystemExit(1)\n',
    timeout: 'import time\ntime.sleep(60)\n',
    signal: 'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n',
  },
  nodejs: {
    exit0: 'console.log("done");\n',
    exit1: 'process.exit(1);\n',
    timeout: 'setTimeout(() => {}, 60_000);\n',
    signal: "process.kill(process.pid, 'SIGKILL');\n",
  },
};

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

/** Runs one case against the runner started by `command` and checks the report and the work dir. */
export function checkArtifactCase(command: string[], language: Job['language'], c: ArtifactCase): void {
  const files = expand(c.files, ['path']);
  const source = PROGRAMS[language][c.program];
  // Relative paths the case expects at the top or in artifacts/ after the run, and whether they are there.
  const watched = [
    ...(c.movedFromRoot ?? []).flatMap((name) => [name, `artifacts/${name}`]),
    ...(c.leftAtRoot ?? []),
    ...(c.artifacts ?? []).map(({ name }) => `artifacts/${name}`),
  ];
  const present = new Set<string>();
  const run = runRunner(
    command,
    jobLine(language, { source, timeoutMs: TIMEOUT_MS }),
    {},
    (workdir) => buildWorkdir(workdir, files),
    (workdir) => {
      for (const path of watched) if (exists(join(workdir, path))) present.add(path);
    },
  );
  assert.is(run.status, 0, run.stderr);
  const report = reportOf(run);
  assert.is(report.exitCode === 0, c.program === 'exit0', `exit code ${report.exitCode}`);
  const expected = c.artifacts?.map((a) => ({ ...a, sha256: expectedSha256(files, a.name) }));
  assert.equal(report.artifacts, expected);
  assert.equal(report.skippedArtifacts, c.skippedArtifacts && expand(c.skippedArtifacts, ['name']));
  for (const name of c.movedFromRoot ?? []) {
    assert.ok(
      !present.has(name) && present.has(`artifacts/${name}`),
      `${name} was not moved into artifacts/`,
    );
  }
  for (const name of c.leftAtRoot ?? []) assert.ok(present.has(name), `${name} is gone from the top`);
  for (const { name } of c.artifacts ?? [])
    assert.ok(present.has(`artifacts/${name}`), `artifacts/${name} is gone`);
  assert.is(report.stderr, '', 'nothing about artifacts goes to stderr');
}

/** Writes out.csv at the top of the work dir, which the runner promotes into artifacts/. */
const WRITE_ONE_ARTIFACT: Record<Job['language'], string> = {
  python: 'with open("out.csv", "w") as out:\n    out.write("a,b\\n1,2\\n")\n',
  nodejs: "require('node:fs').writeFileSync('out.csv', 'a,b\\n1,2\\n');\n",
};

/**
 * With an artifact and artifactHoldMs the runner stays alive after its result line; `tar`, as the
 * controller runs it in the container, reads the file meanwhile; SIGTERM ends the runner at once, code 0.
 */
export async function checkHoldUntilSigterm(command: string[], language: Job['language']): Promise<void> {
  const runner = startRunner(
    command,
    jobLine(language, { source: WRITE_ONE_ARTIFACT[language], artifactHoldMs: 5000 }),
  );
  try {
    const report = await runner.report;
    assert.equal(
      report.artifacts?.map(({ name, size }) => ({ name, size })),
      [{ name: 'out.csv', size: 8 }],
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.is(runner.child.exitCode, null, 'the runner ended before the hold was over');
    const archive = execFileSync('tar', [
      '-C',
      join(runner.workdir, 'artifacts'),
      '-cf',
      '-',
      '--',
      'out.csv',
    ]);
    assert.is(execFileSync('tar', ['-xOf', '-'], { input: archive, encoding: 'utf8' }), 'a,b\n1,2\n');
    const sent = performance.now();
    runner.child.kill('SIGTERM');
    const ended = await runner.ended;
    assert.equal([ended.status, ended.signal], [0, null]);
    assert.ok(ended.at - sent < 100, `took ${Math.round(ended.at - sent)} ms to end after SIGTERM`);
  } finally {
    await runner.stop();
  }
}

/** Without a signal the hold ends after artifactHoldMs, with code 0. */
export function checkHoldEndsByItself(command: string[], language: Job['language']): void {
  const source = WRITE_ONE_ARTIFACT[language];
  const run = runRunner(command, jobLine(language, { source, artifactHoldMs: 700 }));
  assert.is(run.status, 0, run.stderr);
  assert.is(reportOf(run).artifacts?.length, 1);
  assert.ok(run.elapsedMs >= 700 && run.elapsedMs < 5000, `took ${Math.round(run.elapsedMs)} ms`);
}

/** A run without artifacts ends right after its result line, whatever artifactHoldMs says. */
export function checkNoHoldWithoutArtifacts(command: string[], language: Job['language']): void {
  const run = runRunner(
    command,
    jobLine(language, { source: PROGRAMS[language].exit0, artifactHoldMs: 5000 }),
  );
  assert.is(run.status, 0, run.stderr);
  assert.equal(reportOf(run).artifacts, []);
  assert.ok(run.elapsedMs < 3000, `took ${Math.round(run.elapsedMs)} ms`);
}

/** artifactHoldMs is optional: a job from an older controller has none and does not hold. */
export function checkNoHoldWithoutTheField(command: string[], language: Job['language']): void {
  const job = JSON.parse(jobLine(language, { source: WRITE_ONE_ARTIFACT[language] }));
  delete job.artifactHoldMs;
  const run = runRunner(command, `${JSON.stringify(job)}\n`);
  assert.is(run.status, 0, run.stderr);
  assert.is(reportOf(run).artifacts?.length, 1);
  assert.ok(run.elapsedMs < 3000, `took ${Math.round(run.elapsedMs)} ms`);
}
