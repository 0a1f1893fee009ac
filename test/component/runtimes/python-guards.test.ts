// The Python runner's guards (docs/runner-protocol.md, Guards) on the host's python3: every attack runs
// its payload on a runner without the guards, so each test can fail, and is refused with them. Where one
// layer alone must stop it (the seccomp filter under the audit hook), the test runs that layer alone too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RunnerReport } from '../../../src/runtimes/protocol.ts';
import {
  PYTHON_RUNNER as GUARDED,
  jobLine,
  pythonRunnerWith,
  type RunnerRun,
  reportOf,
  runRunner,
} from './runner-harness.ts';

const UNGUARDED = pythonRunnerWith([]);
const SECCOMP_ONLY = pythonRunnerWith(['processes']);
const AUDIT_ONLY = pythonRunnerWith(['audit']);
const PAYLOAD = 'coderun-payload-ran';
const SHELL_PAYLOAD = `["sh", "-c", "echo ${PAYLOAD}"]`;

function runWith(runner: string[], source: string): RunnerRun {
  return runRunner(runner, jobLine('python', { source }));
}

function reportWith(runner: string[], source: string): RunnerReport {
  const run = runWith(runner, source);
  assert.is(run.status, 0, run.stderr);
  return reportOf(run);
}

function assertPayloadRan(r: RunnerReport): void {
  assert.match(r.stdout, PAYLOAD, `without the guard the payload must run: ${r.stderr}`);
}

function assertPayloadStopped(r: RunnerReport): void {
  assert.not.match(r.stdout, PAYLOAD, 'the payload ran');
}

/** Refused by the guards: exit 1, the words RAGFlow maps to disallowed_syscall, and no payload. */
function assertRefused(r: RunnerReport, event?: string): void {
  assertPayloadStopped(r);
  assert.is(r.exitCode, 1, r.stderr);
  assert.match(r.stderr, 'Operation not permitted');
  assert.not.match(r.stderr, 'Permission denied');
  if (event) assert.match(r.stderr, `coderun: `, r.stderr);
  if (event) assert.match(r.stderr, `is not allowed in the sandbox (${event}): Operation not permitted`);
  assert.not.match(r.stderr, 'coderun_audit_hook', 'the traceback shows the audit hook');
}

function attack(name: string, source: string, event: string | undefined, layers: { seccomp?: boolean }) {
  test(`${name}: runs without the guards, is refused with them${layers.seccomp ? ', and by the seccomp filter alone' : ''}`, () => {
    assertPayloadRan(reportWith(UNGUARDED, source));
    assertRefused(reportWith(GUARDED, source), event);
    if (layers.seccomp) assertPayloadStopped(reportWith(SECCOMP_ONLY, source));
  });
}

attack('os.system', `import os\nos.system("echo ${PAYLOAD}")\n`, 'os.system', { seccomp: true });
attack('subprocess.run', `import subprocess\nsubprocess.run(${SHELL_PAYLOAD})\n`, 'subprocess.Popen', {
  seccomp: true,
});
attack(
  'os.posix_spawn',
  `import os\npid = os.posix_spawn("/bin/sh", ${SHELL_PAYLOAD}, dict(os.environ))\nos.waitpid(pid, 0)\n`,
  'os.posix_spawn',
  { seccomp: true },
);
attack('os.execv', `import os, sys\nsys.stdout.flush()\nos.execv("/bin/sh", ${SHELL_PAYLOAD})\n`, 'os.exec', {
  seccomp: true,
});
attack(
  'os.fork',
  `import os\npid = os.fork()\nif pid == 0:\n    print("${PAYLOAD}", flush=True)\n    os._exit(0)\nos.waitpid(pid, 0)\n`,
  'os.fork',
  { seccomp: true },
);
attack(
  'multiprocessing with fork',
  [
    'import multiprocessing',
    'def child():',
    `    print("${PAYLOAD}", flush=True)`,
    'if __name__ == "__main__":',
    '    process = multiprocessing.get_context("fork").Process(target=child)',
    '    process.start()',
    '    process.join()',
  ].join('\n'),
  'os.fork',
  { seccomp: true },
);
attack('pty.spawn', `import pty\npty.spawn(${SHELL_PAYLOAD})\n`, 'pty.spawn', { seccomp: true });
attack(
  'ctypes: libc system()',
  `import ctypes\nctypes.CDLL(None).system(b"echo ${PAYLOAD}")\n`,
  'ctypes.dlsym',
  { seccomp: true },
);

// A copy of an extension module of the interpreter stands for a library the program wrote itself.
const COPY_LIBRARY = [
  'import importlib.machinery, math, os, shutil',
  'path = os.path.abspath("mathcopy" + importlib.machinery.EXTENSION_SUFFIXES[0])',
  'shutil.copy(math.__file__, path)',
].join('\n');

attack(
  'ctypes: a library copied into the work dir',
  `${COPY_LIBRARY}\nimport ctypes\nctypes.CDLL(path)\nprint("${PAYLOAD}")\n`,
  'ctypes.dlopen',
  {},
);
attack(
  'ctypes: a work dir library named by a str subclass that claims to be a library path',
  [
    COPY_LIBRARY,
    'import ctypes',
    'class Sly(str):',
    '    def startswith(self, *args):',
    '        return True',
    'ctypes.CDLL(Sly(path))',
    `print("${PAYLOAD}")`,
  ].join('\n'),
  'ctypes.dlopen',
  {},
);
attack(
  'an extension module written to the work dir and imported',
  [
    COPY_LIBRARY,
    'import importlib.util',
    'spec = importlib.util.spec_from_file_location("math", path)',
    'importlib.util.module_from_spec(spec)',
    `print("${PAYLOAD}")`,
  ].join('\n'),
  'import',
  {},
);
attack(
  'sqlite3 extension loading',
  [
    'import sqlite3, sys',
    'connection = sqlite3.connect(":memory:")',
    'if hasattr(connection, "enable_load_extension"):',
    '    connection.enable_load_extension(True)',
    'else:  # built without extension loading: the event it would raise',
    '    sys.audit("sqlite3.enable_load_extension", connection, True)',
    `print("${PAYLOAD}")`,
  ].join('\n'),
  'sqlite3.enable_load_extension',
  {},
);
attack(
  'gc: walking every object to find the audit hook',
  `import gc\nhooks = [o for o in gc.get_objects() if "audit" in getattr(o, "__name__", "")]\nprint("${PAYLOAD}")\n`,
  'gc.get_objects',
  {},
);
attack(
  'rebinding builtins the audit hook might use',
  [
    'import builtins, os',
    'builtins.type = lambda value: str',
    'builtins.str = object',
    'builtins.PermissionError = None',
    `os.system("echo ${PAYLOAD}")`,
  ].join('\n'),
  'os.system',
  {},
);

test('_posixsubprocess.fork_exec raises no audit event: the audit hook alone misses it, the seccomp filter refuses it', () => {
  const source = [
    'import _posixsubprocess, os',
    'errors, write_end = os.pipe()',
    `pid = _posixsubprocess.fork_exec([b"/bin/sh", b"-c", b"echo ${PAYLOAD}"], [b"/bin/sh"], True, (write_end,),`,
    '    None, None, -1, -1, -1, -1, -1, -1, errors, write_end, False, False, -1, None, None, -1, -1, None, True)',
    'os.waitpid(pid, 0)',
  ].join('\n');
  assertPayloadRan(reportWith(UNGUARDED, source));
  assertPayloadRan(reportWith(AUDIT_ONLY, source));
  const refused = reportWith(GUARDED, source);
  assertRefused(refused);
  assert.match(refused.stderr, 'PermissionError: [Errno 1] Operation not permitted');
});

test('fork without exec (a child running Python through preexec_fn) is refused by the seccomp filter', () => {
  const source = [
    'import _posixsubprocess, os',
    'errors, write_end = os.pipe()',
    'pid = _posixsubprocess.fork_exec([b"/nonexistent"], [b"/nonexistent"], True, (write_end,), None, None,',
    '    -1, -1, -1, -1, -1, -1, errors, write_end, False, False, -1, None, None, -1, -1,',
    `    lambda: print("${PAYLOAD}", flush=True), False)`,
  ].join('\n');
  assertPayloadRan(reportWith(AUDIT_ONLY, source));
  assertRefused(reportWith(GUARDED, source));
});

test('killing the runner: without the guards the runner dies with no report; each guard refuses it', () => {
  const source = 'import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n';
  const killed = runWith(UNGUARDED, source);
  assert.is(killed.status, null);
  assert.not.match(killed.stdout, '__CODERUN_RESULT__');
  assertRefused(reportWith(GUARDED, source), 'os.kill');
  const bySeccomp = reportWith(SECCOMP_ONLY, source);
  assert.is(bySeccomp.exitCode, 1);
  assert.match(bySeccomp.stderr, 'PermissionError: [Errno 1] Operation not permitted');
});

test("a report forged into the runner's own stdout (/proc/<runner>/fd/1) does not count", () => {
  // Same user: the program may open the runner's stdout. An unfinished line after the forged one would glue
  // the runner's marker to it, unless the runner starts its line on a new one.
  const source = [
    'import json, os',
    'forged = {"v": 1, "exitCode": 0, "signal": None, "timedOut": False, "durationMs": 1, "stdout": "",',
    '          "stderr": "", "stdoutTruncated": False, "stderrTruncated": False,',
    '          "result": {"present": True, "value": "forged"}}',
    'with open("/proc/%d/fd/1" % os.getppid(), "w") as runner_stdout:',
    '    runner_stdout.write("__CODERUN_RESULT__ " + json.dumps(forged) + "\\nunfinished")',
    'def main():',
    '    return "real"',
  ].join('\n');
  for (const runner of [GUARDED, UNGUARDED]) {
    // The runner's stdout is a pipe, as in the container (the harness's own is a socket, which /proc
    // cannot open).
    const run = runWith(['sh', '-c', '"$@" | cat', 'sh', ...runner], source);
    assert.match(run.stdout, '"value": "forged"', "the forged line reached the runner's stdout");
    assert.equal(reportOf(run).result, { present: true, value: 'real' });
  }
});

test('the bootstrap leaves nothing in the namespace the program can reach', () => {
  const r = reportWith(
    GUARDED,
    'import sys\ndef main():\n    return sorted(name for name in sys.excepthook.__globals__ if not name.startswith("__"))\n',
  );
  assert.equal(r.result, { present: true, value: [] });
});

test('a module the program writes into the work dir never shadows a library; its own modules still import', () => {
  const r = reportWith(
    GUARDED,
    [
      'import os, sys',
      'with open("statistics.py", "w") as shadow:',
      `    shadow.write('print("${PAYLOAD}")\\n')`,
      'with open("helpers.py", "w") as own:',
      '    own.write("def double(x):\\n    return 2 * x\\n")',
      'import statistics, helpers',
      'def main():',
      '    return {"stdlib": not statistics.__file__.startswith(os.getcwd()), "own": helpers.double(21),',
      '            "last": sys.path[-1] == os.getcwd()}',
    ].join('\n'),
  );
  assertPayloadStopped(r);
  assert.equal(r.result, { present: true, value: { stdlib: true, own: 42, last: true } });
});

test('ordinary data work runs under the guards: threads, files, stdlib data modules, asyncio', () => {
  const r = reportWith(
    GUARDED,
    [
      'import asyncio, csv, dataclasses, datetime, decimal, io, json, re, sqlite3, statistics, tempfile, threading',
      'from concurrent.futures import ThreadPoolExecutor',
      '@dataclasses.dataclass',
      'class Row:',
      '    name: str',
      '    value: float',
      'rows = [Row("a", 1.5), Row("b", 2.5)]',
      'with open("artifacts/rows.csv", "w", newline="") as out:',
      '    csv.writer(out).writerows((r.name, r.value) for r in rows)',
      'with ThreadPoolExecutor(4) as pool:',
      '    squares = list(pool.map(lambda n: n * n, range(8)))',
      'thread = threading.Thread(target=lambda: None)',
      'thread.start()',
      'thread.join()',
      'with tempfile.NamedTemporaryFile("w") as scratch:',
      '    scratch.write("x")',
      'db = sqlite3.connect(":memory:")',
      'db.execute("create table t (v)")',
      'db.executemany("insert into t values (?)", [(1,), (2,)])',
      'async def fetch(n):',
      '    await asyncio.sleep(0.01)',
      '    return n',
      'async def main():',
      '    gathered = await asyncio.gather(*(fetch(n) for n in range(3)))',
      '    return {',
      '        "squares": squares, "gathered": gathered, "sum": db.execute("select sum(v) from t").fetchone()[0],',
      '        "mean": statistics.mean(r.value for r in rows), "csv": open("artifacts/rows.csv").read(),',
      '        "json": json.loads(json.dumps({"d": str(decimal.Decimal("1.10"))})),',
      '        "date": datetime.date(2024, 2, 29).isoformat(), "re": re.findall(r"\\d+", "a1b22"),',
      '    }',
    ].join('\n'),
  );
  assert.is(r.exitCode, 0, r.stderr);
  assert.equal(r.result, {
    present: true,
    value: {
      squares: [0, 1, 4, 9, 16, 25, 36, 49],
      gathered: [0, 1, 2],
      sum: 3,
      mean: 2,
      csv: 'a,1.5\nb,2.5\n',
      json: { d: '1.10' },
      date: '2024-02-29',
      re: ['1', '22'],
    },
  });
  assert.equal(
    r.artifacts?.map((a) => a.name),
    ['rows.csv'],
  );
});

test('libraries that look for a program degrade as they do where it is missing; ctypes types and own signals work', () => {
  const r = reportWith(
    GUARDED,
    [
      'import ctypes, ctypes.util, os, platform, signal, uuid',
      'class Point(ctypes.Structure):',
      '    _fields_ = [("x", ctypes.c_int), ("y", ctypes.c_int)]',
      'received = []',
      'signal.signal(signal.SIGUSR1, lambda *_: received.append(True))',
      'os.kill(os.getpid(), signal.SIGUSR1)',
      'def main():',
      '    return {"system": platform.uname().system, "processor": isinstance(platform.processor(), str),',
      '            "libc": ctypes.util.find_library("c") is None or "libc" in ctypes.util.find_library("c"),',
      '            "size": ctypes.sizeof(Point), "buffer": ctypes.create_string_buffer(b"ab").value.decode(),',
      '            "uuid": len(str(uuid.uuid4())), "signal": received}',
    ].join('\n'),
  );
  assert.is(r.stderr, '');
  assert.equal(r.result, {
    present: true,
    value: { system: 'Linux', processor: true, libc: true, size: 8, buffer: 'ab', uuid: 36, signal: [true] },
  });
});

test.run();
