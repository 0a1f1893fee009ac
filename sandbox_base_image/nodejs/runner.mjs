#!/usr/bin/env node
// coderun's Node.js runner: the contract is docs/runner-protocol.md.
// Reads one job line, runs the program in a child `node` in its own process group, captures its output
// within the caps, and prints exactly one `__CODERUN_RESULT__ {json}` line. No dependencies, so nothing
// a user installs or breaks can affect it.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { close as closeInspector, url as inspectorUrl } from 'node:inspector';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROTOCOL_VERSION = 1;
const RESULT_MARKER = '__CODERUN_RESULT__ ';
// The runtime this sandbox was made for (docs/runner-protocol.md, Container): the job's language must name it,
// and the program is written to its program file. One image serves several runtimes (nodejs with main.js,
// typescript with main.ts: Node strips the types of a .ts file itself).
const LANGUAGE = process.env.CODERUN_RUNTIME || 'nodejs';
const PROGRAM_FILE = process.env.CODERUN_PROGRAM_FILE || 'main.js';
// A plain file name in the work dir, as the SandboxRuntime schema has it.
const PLAIN_FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
// Created in the work dir before the program runs: RAGFlow's programs save their files there.
const ARTIFACTS_DIR = 'artifacts';
// RAGFlow's artifact rules (docs/runner-protocol.md, Artifacts): the allowed extensions, lower-cased,
// and the MIME type each is reported with.
const ARTIFACT_TYPES = new Map([
  ['.png', 'image/png'],
  ['.jpg', 'image/jpeg'],
  ['.jpeg', 'image/jpeg'],
  ['.svg', 'image/svg+xml'],
  ['.pdf', 'application/pdf'],
  ['.csv', 'text/csv'],
  ['.json', 'application/json'],
  ['.html', 'text/html'],
]);
const MAX_ARTIFACT_BYTES = 10 * 2 ** 20;
const MAX_ARTIFACTS = 10;
// A program can create any number of files; the report lists this many skipped ones, names cut to length.
const MAX_SKIPPED_ARTIFACTS = 50;
const MAX_SKIPPED_NAME = 255;
// A leading dot, control characters, path separators, `..` anywhere.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const FORBIDDEN_NAME = /^\.|[\x00-\x1f\x7f/\\]|\.\./;
// What the runner itself puts into the work dir: never promoted, never reported.
const RUNNER_NAMES = new Set([PROGRAM_FILE, ARTIFACTS_DIR, 'node_modules']);
// During the artifact hold these end the runner (with code 0); as the container's init it has no
// default action for them.
const HOLD_SIGNALS = ['SIGTERM', 'SIGINT'];
// Node's timers stop at 2^31 - 1 ms (about 24 days); a longer hold is cut to that.
const MAX_HOLD_MS = 2 ** 31 - 1;
// How often the runner reads the memory of the program's processes while it runs.
const MEMORY_SAMPLE_MS = 50;
// How long the runner waits for its job; a pool's Pod sets CODERUN_JOB_WAIT_SECONDS to its idle age.
const DEFAULT_JOB_WAIT_MS = 60_000;
// Source and arguments are at most 256 KiB each; JSON escaping can make the line several times longer.
const MAX_JOB_BYTES = 8 * 2 ** 20;
// After the program ended and its group was killed, how long a process that escaped the group (setsid)
// may hold the pipes open before we report without the rest of its output.
const DRAIN_MS = 1000;
const EXIT_MALFORMED = 2;
const EXIT_NO_JOB = 3;
const EXIT_INTERNAL = 4;

// Prepended to the program on its first line (no newline, so line numbers stay the user's): a closure
// over the module scope that finds a top-level `main` the program declares but does not export.
// It goes after a hashbang line and a "use strict" directive, which must stay first.
const MAIN_LOCATOR =
  ';globalThis[Symbol.for("coderun.main")] = () => typeof main === "function" ? main : undefined;';
const PROGRAM_HEAD = /^(?:#!.*(?:\n|$))?(?:\s*(["'])use strict\1)?/;

// The guards the program runs under (docs/runner-protocol.md, Guards): Node's permission model, with
// file access only to the work dir, the temp dir and the image's packages, and no child processes,
// workers, native addons, WASI or inspector; no SIGUSR1 inspector. Node has no way for a program's
// process to put a seccomp filter on itself, so the permission model is the line under the static policy.
// Tests of what lies beneath the guards switch them off; a sandbox never does.
const GUARDED = true;

// The program's interpreter runs this file (docs/runner-protocol.md): it waits for the arguments, runs the
// program and sends back what main() returned.
const BOOTSTRAP = fileURLToPath(new URL('bootstrap.cjs', import.meta.url));

class JobError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/**
 * The runner's own part of a run (docs/runner-protocol.md, `timings`): when the job line was complete (wall
 * clock, so the controller can split the transport either way), then milliseconds after it (monotonic).
 */
class Timings {
  received = performance.now();
  report = { jobReceivedAt: Date.now() };

  mark(name) {
    this.report[name] = round1(performance.now() - this.received);
  }
}

const round1 = (ms) => Math.round(ms * 10) / 10;

async function readJob() {
  const line = await readStdinLine(jobWaitMs());
  const timings = new Timings();
  if (line.length > MAX_JOB_BYTES)
    throw new JobError(EXIT_MALFORMED, `the job line is longer than ${MAX_JOB_BYTES} bytes`);
  return { job: parseJob(line), timings };
}

function jobWaitMs() {
  const seconds = Number(process.env.CODERUN_JOB_WAIT_SECONDS);
  return Number.isSafeInteger(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_JOB_WAIT_MS;
}

function firstLine(buffer) {
  const end = buffer.indexOf(10);
  return end === -1 ? buffer : buffer.subarray(0, end);
}

/** The first line on stdin, waiting at most `waitMs` for it to be complete. */
function readStdinLine(waitMs) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    const finish = (error, line) => {
      clearTimeout(timer);
      process.stdin.destroy();
      if (error) reject(error);
      else resolve(line);
    };
    const timer = setTimeout(
      () => finish(new JobError(EXIT_NO_JOB, `no job line arrived on stdin within ${waitMs / 1000} s`)),
      waitMs,
    );
    process.stdin.on('data', (chunk) => {
      chunks.push(chunk);
      size += chunk.length;
      if (chunk.includes(10) || size > MAX_JOB_BYTES) finish(null, firstLine(Buffer.concat(chunks)));
    });
    process.stdin.on('end', () => {
      const line = Buffer.concat(chunks);
      if (line.toString().trim()) finish(null, line);
      else finish(new JobError(EXIT_NO_JOB, 'stdin closed before a job line arrived'));
    });
    process.stdin.on('error', (error) =>
      finish(new JobError(EXIT_NO_JOB, `cannot read stdin: ${error.message}`)),
    );
  });
}

function parseJob(line) {
  let job;
  try {
    job = JSON.parse(line.toString());
  } catch (error) {
    throw new JobError(EXIT_MALFORMED, `the job line is not valid JSON: ${error.message}`);
  }
  if (job === null || typeof job !== 'object' || Array.isArray(job)) {
    throw new JobError(EXIT_MALFORMED, `the job must be a JSON object, got ${describe(job)}`);
  }
  if (job.v !== PROTOCOL_VERSION) {
    throw new JobError(EXIT_MALFORMED, `unsupported protocol version 'v': ${describe(job.v)}, expected 1`);
  }
  if (job.language !== LANGUAGE) {
    throw new JobError(EXIT_MALFORMED, `this runner serves '${LANGUAGE}', not ${describe(job.language)}`);
  }
  expect(job, 'source', typeof job.source === 'string', 'a string');
  const args = job.arguments;
  expect(
    job,
    'arguments',
    args !== null && typeof args === 'object' && !Array.isArray(args),
    'a JSON object',
  );
  expect(job, 'timeoutMs', Number.isSafeInteger(job.timeoutMs) && job.timeoutMs > 0, 'a positive integer');
  expect(
    job,
    'maxOutputBytes',
    Number.isSafeInteger(job.maxOutputBytes) && job.maxOutputBytes >= 0,
    'a non-negative integer',
  );
  job.artifactHoldMs ??= 0;
  job.holdMs ??= 0;
  expect(job, 'holdMs', Number.isSafeInteger(job.holdMs) && job.holdMs >= 0, 'a non-negative integer');
  expect(
    job,
    'artifactHoldMs',
    Number.isSafeInteger(job.artifactHoldMs) && job.artifactHoldMs >= 0,
    'a non-negative integer',
  );
  return job;
}

function describe(value) {
  const shown = JSON.stringify(value) ?? String(value);
  return shown.length <= 80 ? shown : `${shown.slice(0, 77)}...`;
}

function expect(job, field, ok, what) {
  if (!ok)
    throw new JobError(EXIT_MALFORMED, `the job's '${field}' must be ${what}, got ${describe(job[field])}`);
}

/** One stream from the program: keeps the first `limit` bytes, reads and drops the rest. */
class Capture {
  chunks = [];
  size = 0;
  truncated = false;

  constructor(limit) {
    this.limit = limit;
  }

  add(chunk) {
    const room = this.limit - this.size;
    if (chunk.length > room) {
      this.truncated = true;
      chunk = chunk.subarray(0, Math.max(room, 0));
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  bytes() {
    return Buffer.concat(this.chunks);
  }

  text() {
    // When the cap cut a character in half, `stream` holds the partial bytes back instead of showing U+FFFD.
    return new TextDecoder().decode(this.bytes(), { stream: this.truncated });
  }
}

function withMainLocator(source) {
  const head = PROGRAM_HEAD.exec(source)[0];
  return head + MAIN_LOCATOR + source.slice(head.length);
}

/** ES modules ignore NODE_PATH; a node_modules link in the work dir lets `import 'axios'` resolve too. */
function linkPackages(workdir) {
  const packages = process.env.NODE_PATH?.split(delimiter).find(Boolean);
  if (!packages) return;
  try {
    symlinkSync(packages, join(workdir, 'node_modules'));
  } catch (error) {
    if (error.code !== 'EEXIST') throw error;
  }
}

/** mkdir(2) never follows a link at the last component; whatever is already there is left as it is. */
function makeArtifactsDir(workdir) {
  try {
    mkdirSync(join(workdir, ARTIFACTS_DIR), { mode: 0o755 });
  } catch (error) {
    if (error.code !== 'EEXIST') throw error;
  }
}

/**
 * A process's peak resident memory in KiB: VmHWM, or VmRSS (the current figure) where /proc has no VmHWM,
 * as under gVisor; 0 when the process is gone.
 */
function processPeakKb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const line = /^VmHWM:\s*(\d+) kB/m.exec(status) ?? /^VmRSS:\s*(\d+) kB/m.exec(status);
    return line ? Number(line[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * The largest peak among `pid` and its live descendants, found through /proc/<pid>/task/<tid>/children
 * (Linux and gVisor; where that file is missing, `pid` alone). A few reads per process, where scanning
 * all of /proc for the process group would read every process on a host.
 */
function treePeakKb(pid) {
  let peak = 0;
  const pending = [pid];
  while (pending.length > 0) {
    const next = pending.pop();
    peak = Math.max(peak, processPeakKb(next));
    try {
      for (const tid of readdirSync(`/proc/${next}/task`)) {
        const children = readFileSync(`/proc/${next}/task/${tid}/children`, 'latin1');
        for (const child of children.split(' ')) if (child) pending.push(child);
      }
    } catch {
      // gone meanwhile, or no children files
    }
  }
  return peak;
}

/**
 * The program's peak resident memory: the largest peak of any one of its processes, as RUSAGE_CHILDREN's
 * ru_maxrss is in the Python runner. Node cannot read a child's rusage, and a process's memory figures
 * vanish from /proc the moment it exits, so two sources are combined: the interpreter's own ru_maxrss,
 * which it writes on fd 4 as it exits (exact, but missing when a signal kills it), and samples of the
 * interpreter and its descendants every MEMORY_SAMPLE_MS and just before the timeout kill (covering child
 * processes and a killed interpreter, but sampled: growth in a process's last moments can be missed, and
 * where /proc has no VmHWM a sample is the current figure, not the peak).
 */
class MemoryPeak {
  sampledKb = 0;

  constructor(pid) {
    this.pid = pid;
    this.schedule(MEMORY_SAMPLE_MS);
  }

  schedule(delayMs) {
    this.timer = setTimeout(() => {
      const started = performance.now();
      this.sample();
      // Sampling never takes more than a tenth of the runner's time, whatever the program spawns.
      this.schedule(Math.max(MEMORY_SAMPLE_MS, 10 * (performance.now() - started)));
    }, delayMs).unref();
  }

  sample() {
    this.sampledKb = Math.max(this.sampledKb, treePeakKb(this.pid));
  }

  stop() {
    clearTimeout(this.timer);
  }

  /** The peak in KiB, or undefined when nothing was measured. `reported` is what came on fd 4. */
  kb(reported) {
    const text = reported.text();
    const own = /^\d+$/.test(text) ? Number(text) : 0;
    const peak = Math.max(own, this.sampledKb);
    return peak > 0 ? peak : undefined;
  }
}

function killGroup(pgid) {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch (error) {
    if (error.code !== 'ESRCH') throw error;
  }
}

function childEnvironment() {
  const env = { ...process.env };
  // The program's interpreter takes only the flags the runner gives it (no --inspect, no --allow-* from
  // the environment).
  delete env.NODE_OPTIONS;
  return env;
}

/**
 * The program's permissions: read and write the work dir and the temp dir, read the image's packages
 * (NODE_PATH), nothing else; no child process, worker, addon, WASI or inspector grant. No SIGUSR1 inspector.
 */
function guardFlags(workdir) {
  if (!GUARDED) return [];
  const writable = new Set([workdir, process.env.TMPDIR || '/tmp', '/tmp']);
  const packages = (process.env.NODE_PATH ?? '').split(delimiter).filter(Boolean);
  return [
    '--permission',
    ...[...writable].flatMap((dir) => [`--allow-fs-read=${dir}`, `--allow-fs-write=${dir}`]),
    ...packages.map((dir) => `--allow-fs-read=${dir}`),
    // Node reads its entry point under the permission model too.
    `--allow-fs-read=${BOOTSTRAP}`,
    '--disable-sigusr1',
  ];
}

/** The child `node`, started before the job so it is ready when the job arrives. */
function startProgram() {
  const workdir = process.env.CODERUN_WORKDIR || process.cwd();
  const program = join(workdir, PROGRAM_FILE);
  linkPackages(workdir);
  const child = spawn(
    process.execPath,
    [...guardFlags(workdir), BOOTSTRAP, program, GUARDED ? 'guarded' : ''],
    {
      cwd: workdir,
      env: childEnvironment(),
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
    },
  );
  // Collected from the start, so nothing is lost while the job is on its way.
  const early = [[], [], [], []];
  const streams = [child.stdout, child.stderr, child.stdio[3], child.stdio[4]];
  streams.forEach((stream, i) => {
    stream.on('data', (chunk) => early[i].push(chunk));
    stream.on('error', () => {});
  });
  const state = { closed: false };
  child.on('close', () => {
    state.closed = true;
  });
  return { child, program, streams, early, state };
}

function abandon({ child }) {
  killGroup(child.pid);
}

function run(job, timings, started) {
  const { child, program, streams, early, state } = started;
  makeArtifactsDir(dirname(program));
  writeFileSync(program, withMainLocator(job.source));

  const limit = job.maxOutputBytes;
  const captures = [new Capture(limit), new Capture(limit), new Capture(limit), new Capture(32)];
  streams.forEach((stream, i) => {
    stream.removeAllListeners('data');
    for (const chunk of early[i]) captures[i].add(chunk);
    stream.on('data', (chunk) => captures[i].add(chunk));
  });
  // Marked before durationMs's start is read, so the marks span the program's duration (the first mark can
  // take a millisecond while V8 compiles it).
  timings.mark('programStartedMs');
  const start = performance.now();
  const memory = new MemoryPeak(child.pid);
  return new Promise((resolve, reject) => {
    let timedOut = false;
    let exit;
    child.on('error', (error) => {
      memory.stop();
      reject(error);
    });
    // The program may exit or close stdin before reading its arguments; that is its business.
    child.stdin.on('error', () => {});
    child.stdin.end(JSON.stringify({ arguments: job.arguments, maxResultBytes: limit }));
    const timer = setTimeout(() => {
      timedOut = true;
      memory.sample();
      killGroup(child.pid);
    }, job.timeoutMs);
    let drainTimer;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(drainTimer);
      for (const stream of streams) stream.destroy();
      const [stdout, stderr, result, usage] = captures;
      const report = buildReport({ ...exit, timedOut, memoryKb: memory.kb(usage), stdout, stderr, result });
      // Only a program that ended well has artifacts; otherwise its files are not even looked at.
      if (exit.code === 0 && !timedOut) {
        const { artifacts, skipped } = collectArtifacts(dirname(program));
        Object.assign(report, { artifacts, skippedArtifacts: skipped });
      }
      resolve(report);
    };
    const onExit = (code, signal) => {
      exit = { code, signal, durationMs: performance.now() - start };
      timings.mark('programEndedMs');
      clearTimeout(timer);
      memory.stop();
      // Whatever the program left running in its group goes with it.
      killGroup(child.pid);
      drainTimer = setTimeout(finish, DRAIN_MS);
    };
    // A child that died before the job (it cannot have run anything) reports like one that died after.
    if (child.exitCode !== null || child.signalCode !== null) onExit(child.exitCode, child.signalCode);
    else child.on('exit', onExit);
    // 'close' comes after 'exit' once every pipe reached its end.
    if (state.closed) finish();
    else child.on('close', finish);
  });
}

/**
 * The files the program left for the caller: first the allowed files at the top of the work dir are moved
 * into artifacts/, then every entry of artifacts/ is checked, the candidates sorted by name and the first
 * MAX_ARTIFACTS read through a descriptor that cannot be a link. Names are handled as bytes, as the
 * kernel has them. Nothing goes to stderr: RAGFlow takes any stderr for an error.
 */
function collectArtifacts(workdir) {
  const none = { artifacts: [], skipped: [] };
  const folder = join(workdir, ARTIFACTS_DIR);
  try {
    makeArtifactsDir(workdir); // the program may have removed it
    // A file or a link named artifacts is never looked into.
    if (!lstatSync(folder).isDirectory()) return none;
    const skipped = promoteRootFiles(workdir, folder);
    const candidates = [];
    for (const raw of readdirSync(folder, { encoding: 'buffer' })) {
      const entry = checkEntry(raw, folder);
      if (entry.reason === undefined) candidates.push(entry);
      else if (entry.reason) skipped.push(skip(entry.name, entry.reason, entry.size));
    }
    const artifacts = [];
    // The names passed the UTF-8 check: their bytes sort in code point order (a JavaScript string sort
    // compares UTF-16 units, which puts U+10000 and above before U+E000-U+FFFF).
    candidates.sort((a, b) => Buffer.compare(a.raw, b.raw));
    for (const { raw, name } of candidates) {
      if (artifacts.length === MAX_ARTIFACTS) {
        skipped.push(skip(name, 'limit'));
        continue;
      }
      const outcome = readArtifact(entryPath(folder, raw), name);
      if (outcome.sha256) artifacts.push({ name, ...outcome });
      else if (outcome.reason) skipped.push(skip(name, outcome.reason, outcome.size));
    }
    skipped.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
    return { artifacts, skipped: skipped.slice(0, MAX_SKIPPED_ARTIFACTS) };
  } catch {
    // The program changed permissions under us: report nothing rather than fail the run.
    return none;
  }
}

function skip(name, reason, size) {
  const points = Array.from(name);
  const shown = points.length > MAX_SKIPPED_NAME ? points.slice(0, MAX_SKIPPED_NAME).join('') : name;
  return { name: shown, reason, ...(size === undefined ? {} : { size }) };
}

function entryPath(folder, raw) {
  return Buffer.concat([Buffer.from(`${folder}/`), raw]);
}

// ignoreBOM keeps a leading U+FEFF in the name, as Python's decoder does.
const lenientUtf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const strictUtf8 = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });

/** The name as reported (invalid UTF-8 replaced) and whether it is allowed for an artifact. */
function artifactName(raw) {
  const name = lenientUtf8.decode(raw);
  try {
    strictUtf8.decode(raw);
  } catch {
    return { name, allowed: false };
  }
  return { name, allowed: !FORBIDDEN_NAME.test(name) };
}

function mimeTypeOf(name) {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return undefined;
  // Lower-cases ASCII only, as the Python runner's bytes.lower() does; every allowed extension is ASCII.
  return ARTIFACT_TYPES.get(name.slice(dot).replace(/[A-Z]+/g, (letters) => letters.toLowerCase()));
}

/**
 * Moves each allowed regular file at the top of the work dir into artifacts/, as if the program had written
 * it there; one whose name is taken in artifacts/ stays where it is ("name-conflict"). Other files at the
 * top are no artifacts and not reported.
 */
function promoteRootFiles(workdir, folder) {
  const skipped = [];
  for (const raw of readdirSync(workdir, { encoding: 'buffer' })) {
    const { name, allowed } = artifactName(raw);
    if (RUNNER_NAMES.has(name) || !allowed || !mimeTypeOf(name)) continue;
    const from = entryPath(workdir, raw);
    try {
      if (!lstatSync(from).isFile()) continue;
      // rename(2) would replace an artifact of that name; link(2) fails instead, atomically, and does not
      // follow a link.
      linkSync(from, entryPath(folder, raw));
    } catch (error) {
      if (error.code === 'EEXIST') skipped.push(skip(name, 'name-conflict'));
      continue; // otherwise gone meanwhile, or not linkable: it stays where it is
    }
    unlinkSync(from);
  }
  return skipped;
}

/**
 * {raw, name} for a candidate, {name, reason, size?} for a skipped entry, {reason: null} for one that
 * vanished; from lstat, so a link is never followed.
 */
function checkEntry(raw, folder) {
  const { name, allowed } = artifactName(raw);
  if (!allowed) return { name, reason: 'name' };
  let info;
  try {
    info = lstatSync(entryPath(folder, raw));
  } catch (error) {
    if (error.code === 'ENOENT') return { reason: null };
    throw error;
  }
  if (info.isSymbolicLink()) return { name, reason: 'symlink' };
  if (!info.isFile()) return { name, reason: 'not-regular' };
  if (!mimeTypeOf(name)) return { name, reason: 'extension' };
  return { raw, name, ...sizeProblem(info.size) };
}

function sizeProblem(size) {
  if (size === 0) return { reason: 'empty' };
  if (size > MAX_ARTIFACT_BYTES) return { reason: 'too-large', size };
  return {};
}

/**
 * {mimeType, size, sha256} of the bytes read through a descriptor opened with O_NOFOLLOW (a link swapped
 * in after lstat fails to open; O_NONBLOCK keeps a FIFO from blocking), or {reason, size?}, or {} when it
 * cannot be opened at all.
 */
function readArtifact(path, name) {
  let fd;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    return error.code === 'ELOOP' ? { reason: 'symlink' } : {};
  }
  const digest = createHash('sha256');
  let size = 0;
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return { reason: 'not-regular' };
    if (info.size > MAX_ARTIFACT_BYTES) return { reason: 'too-large', size: info.size };
    const buffer = Buffer.allocUnsafe(64 * 1024);
    while (size <= MAX_ARTIFACT_BYTES) {
      const count = readSync(fd, buffer, 0, buffer.length, null);
      if (count === 0) break;
      digest.update(buffer.subarray(0, count));
      size += count;
    }
  } finally {
    closeSync(fd);
  }
  const problem = sizeProblem(size);
  if (problem.reason) return problem;
  return { mimeType: mimeTypeOf(name), size, sha256: digest.digest('hex') };
}

/**
 * Keeps the container alive after the result line (for the controller's `tar` of the artifacts, or so that
 * the sandbox ends only once the controller has written the outcome) until SIGTERM or SIGINT arrives or
 * `holdMs` passes. Call it before the result line is written, so a signal sent right after
 * the line is not lost; await the promise after.
 */
function holdSandbox(holdMs) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.min(holdMs, MAX_HOLD_MS));
    for (const signal of HOLD_SIGNALS) {
      process.once(signal, () => {
        clearTimeout(timer);
        resolve();
      });
    }
  });
}

function decodeResult(capture) {
  if (capture.truncated || capture.size === 0) return { present: false };
  try {
    return { present: true, value: JSON.parse(capture.bytes().toString()) };
  } catch {
    // Only a program writing into the result channel itself gets here.
    return { present: false };
  }
}

function buildReport({ code, signal, durationMs, timedOut, memoryKb, stdout, stderr, result }) {
  return {
    v: PROTOCOL_VERSION,
    exitCode: code,
    signal,
    timedOut,
    durationMs: Math.round(durationMs),
    stdout: stdout.text(),
    stderr: stderr.text(),
    stdoutTruncated: stdout.truncated,
    stderrTruncated: stderr.truncated,
    result: decodeResult(result),
    ...(memoryKb === undefined ? {} : { memoryKb }),
  };
}

/**
 * The program's output may contain the marker; inside a JSON string `\u005f` is the same `_`, and the
 * line then holds the marker exactly once, at its start, however it is searched.
 */
function escapeMarker(reportJson) {
  const marker = RESULT_MARKER.trim();
  return reportJson.replaceAll(marker, `\\u005f${marker.slice(1)}`);
}

/**
 * The program shares the runner's user, so it can signal the runner: SIGUSR1 (`process._debugProcess(ppid)`)
 * would open the runner's inspector and let it run code in here, outside its process group and timeout. A
 * listener keeps Node from doing that; an inspector the runner was started with (NODE_OPTIONS) is closed.
 */
function closeInspectors() {
  process.on('SIGUSR1', () => {});
  if (inspectorUrl()) closeInspector();
}

/** Why CODERUN_PROGRAM_FILE cannot be the program's file, or undefined when it can. */
function programFileProblem() {
  if (!PLAIN_FILE_NAME.test(PROGRAM_FILE) || PROGRAM_FILE.length > 128)
    return `CODERUN_PROGRAM_FILE must be a plain file name such as main.js, got ${describe(PROGRAM_FILE)}`;
  if (PROGRAM_FILE === ARTIFACTS_DIR || PROGRAM_FILE === 'node_modules')
    return `CODERUN_PROGRAM_FILE names what the runner itself creates in the work dir: ${describe(PROGRAM_FILE)}`;
  return undefined;
}

async function main() {
  closeInspectors();
  const problem = programFileProblem();
  if (problem) {
    process.stderr.write(`coderun runner: internal error: ${problem}\n`);
    return EXIT_INTERNAL;
  }
  let started;
  try {
    started = startProgram();
  } catch (error) {
    process.stderr.write(`coderun runner: internal error: cannot start node: ${error.stack ?? error}\n`);
    return EXIT_INTERNAL;
  }
  let job;
  let timings;
  try {
    ({ job, timings } = await readJob());
  } catch (error) {
    abandon(started);
    process.stderr.write(`coderun runner: ${error.message}\n`);
    return error instanceof JobError ? error.code : EXIT_INTERNAL;
  }
  try {
    const report = await run(job, timings, started);
    timings.mark('reportMs');
    report.timings = timings.report;
    const holdMs = Math.max(job.holdMs, report.artifacts?.length > 0 ? job.artifactHoldMs : 0);
    const hold = holdMs > 0 ? holdSandbox(holdMs) : null;
    // Like the Python runner, the result line starts on a new line, whatever a program without the guards
    // may have written into the runner's stdout (/proc/<pid>/fd/1) before it.
    const line = `\n${RESULT_MARKER}${escapeMarker(JSON.stringify(report))}\n`;
    await new Promise((resolve) => process.stdout.write(line, resolve));
    await hold;
    return 0;
  } catch (error) {
    process.stderr.write(`coderun runner: internal error: ${error.stack ?? error}\n`);
    return EXIT_INTERNAL;
  }
}

process.exit(await main());
