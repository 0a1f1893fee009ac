#!/usr/bin/env python3
"""coderun's Python runner: the contract is docs/runner-protocol.md.

Reads one job line, runs the program in a child interpreter in its own process group, captures its
output within the caps, and prints exactly one `__CODERUN_RESULT__ {json}` line. Standard library
only, so nothing a user installs or breaks can affect it.
"""

import codecs
import errno
import hashlib
import json
import os
import re
import resource
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import time

PROTOCOL_VERSION = 1
RESULT_MARKER = "__CODERUN_RESULT__ "
# The runtime this sandbox was made for (docs/runner-protocol.md, Container): the job's language must name it,
# and the program is written to its program file.
LANGUAGE = os.environ.get("CODERUN_RUNTIME") or "python"
PROGRAM_FILE = os.environ.get("CODERUN_PROGRAM_FILE") or "main.py"
# A plain file name in the work dir, as the SandboxRuntime schema has it.
PLAIN_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
# Created in the work dir before the program runs: RAGFlow's programs save their files there.
ARTIFACTS_DIR = "artifacts"
# RAGFlow's artifact rules (docs/runner-protocol.md, Artifacts): the allowed extensions, lower-cased,
# and the MIME type each is reported with.
ARTIFACT_TYPES = {
    b".png": "image/png", b".jpg": "image/jpeg", b".jpeg": "image/jpeg", b".svg": "image/svg+xml",
    b".pdf": "application/pdf", b".csv": "text/csv", b".json": "application/json", b".html": "text/html",
}
MAX_ARTIFACT_BYTES = 10 * 2**20
MAX_ARTIFACTS = 10
# A program can create any number of files; the report lists this many skipped ones, names cut to length.
MAX_SKIPPED_ARTIFACTS = 50
MAX_SKIPPED_NAME = 255
# A leading dot, control characters, path separators, `..` anywhere.
FORBIDDEN_NAME = re.compile(r"^\.|[\x00-\x1f\x7f/\\]|\.\.")
# What the runner itself puts into the work dir: never promoted, never reported.
RUNNER_NAMES = {PROGRAM_FILE, ARTIFACTS_DIR}
# During the artifact hold these end the runner (with code 0); as the container's init it has no
# default action for them.
HOLD_SIGNALS = {signal.SIGTERM, signal.SIGINT}
# The longest hold either runner keeps (Node's timers stop at 2^31 - 1 ms, about 24 days).
MAX_HOLD_MS = 2**31 - 1
# How long the runner waits for its job; a pool's Pod sets CODERUN_JOB_WAIT_SECONDS to its idle age.
DEFAULT_JOB_WAIT_SECONDS = 60
# Source and arguments are at most 256 KiB each; JSON escaping can make the line several times longer.
MAX_JOB_BYTES = 8 * 2**20
READ_CHUNK = 64 * 1024
# How often the pump looks at the child while its pipes stay open.
POLL_SECONDS = 0.05
# After the program ended and its group was killed, how long a process that escaped the group (setsid)
# may hold the pipes open before we report without the rest of its output.
DRAIN_SECONDS = 1.0
EXIT_MALFORMED = 2
EXIT_NO_JOB = 3
EXIT_INTERNAL = 4

# The guards the bootstrap installs before the program's first line (docs/runner-protocol.md, Guards):
# "processes" is a seccomp filter that refuses starting processes (execve, fork) and signalling any
# other process, "audit" an audit hook (PEP 578) that refuses the same steps and native code with a
# clear message. Tests of what lies beneath them switch them off; a sandbox never does.
GUARDS = ("processes", "audit")

# The program's interpreter runs this file (docs/runner-protocol.md): it installs the guards, waits for the
# arguments, runs the program and sends back what main() returned.
BOOTSTRAP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bootstrap.py")


class JobError(Exception):
    """The job could not be read or is malformed; ends the runner with `code`."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class Timings:
    """The runner's own part of a run (docs/runner-protocol.md, `timings`): when the job line was complete
    (wall clock, so the controller can split the transport either way), then milliseconds after it
    (monotonic)."""

    def __init__(self):
        self.received = time.monotonic()
        self.report = {"jobReceivedAt": round(time.time() * 1000, 1)}

    def mark(self, name):
        self.report[name] = round((time.monotonic() - self.received) * 1000, 1)


def read_job():
    line = read_stdin_line(sys.stdin.fileno(), job_wait_seconds())
    timings = Timings()
    if len(line) > MAX_JOB_BYTES:
        raise JobError(EXIT_MALFORMED, f"the job line is longer than {MAX_JOB_BYTES} bytes")
    return parse_job(line), timings


def job_wait_seconds():
    value = os.environ.get("CODERUN_JOB_WAIT_SECONDS", "")
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_JOB_WAIT_SECONDS


def read_stdin_line(fd, wait_seconds):
    """The first line on `fd`, waiting at most `wait_seconds` for it to be complete."""
    deadline = time.monotonic() + wait_seconds
    buffer = bytearray()
    # poll, not epoll: epoll refuses regular files and /dev/null, which are valid (if odd) stdins.
    with selectors.PollSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while b"\n" not in buffer and len(buffer) <= MAX_JOB_BYTES:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                raise JobError(EXIT_NO_JOB, f"no job line arrived on stdin within {wait_seconds} s")
            chunk = os.read(fd, READ_CHUNK)
            if not chunk:
                break
            buffer += chunk
    if not buffer.strip():
        raise JobError(EXIT_NO_JOB, "stdin closed before a job line arrived")
    return bytes(buffer.split(b"\n", 1)[0])


def parse_job(line):
    try:
        job = json.loads(line)
    except (ValueError, RecursionError) as error:
        raise JobError(EXIT_MALFORMED, f"the job line is not valid JSON: {error}") from None
    if not isinstance(job, dict):
        raise JobError(EXIT_MALFORMED, f"the job must be a JSON object, got {type(job).__name__}")
    if job.get("v") != PROTOCOL_VERSION:
        raise JobError(EXIT_MALFORMED, f"unsupported protocol version 'v': {job.get('v')!r}, expected 1")
    if job.get("language") != LANGUAGE:
        raise JobError(EXIT_MALFORMED, f"this runner serves {LANGUAGE!r}, not {job.get('language')!r}")
    expect(job, "source", isinstance(job.get("source"), str), "a string")
    expect(job, "arguments", isinstance(job.get("arguments"), dict), "a JSON object")
    expect(job, "timeoutMs", is_integer(job.get("timeoutMs")) and job["timeoutMs"] > 0, "a positive integer")
    expect(
        job, "maxOutputBytes", is_integer(job.get("maxOutputBytes")) and job["maxOutputBytes"] >= 0,
        "a non-negative integer",
    )
    job.setdefault("artifactHoldMs", 0)
    job.setdefault("holdMs", 0)
    expect(job, "holdMs", is_integer(job.get("holdMs")) and job["holdMs"] >= 0, "a non-negative integer")
    expect(
        job, "artifactHoldMs", is_integer(job.get("artifactHoldMs")) and job["artifactHoldMs"] >= 0,
        "a non-negative integer",
    )
    return job


def is_integer(value):
    return isinstance(value, int) and not isinstance(value, bool)


def expect(job, field, ok, what):
    if not ok:
        shown = repr(job.get(field))
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        raise JobError(EXIT_MALFORMED, f"the job's {field!r} must be {what}, got {shown}")


class Capture:
    """One stream from the program: keeps the first `limit` bytes, reads and drops the rest."""

    def __init__(self, limit):
        self.data = bytearray()
        self.limit = limit
        self.truncated = False

    def add(self, chunk):
        room = self.limit - len(self.data)
        if len(chunk) > room:
            self.truncated = True
            chunk = chunk[: max(room, 0)]
        self.data += chunk

    def text(self):
        # When the cap cut a character in half, drop the partial bytes instead of showing U+FFFD.
        return codecs.getincrementaldecoder("utf-8")("replace").decode(self.data, final=not self.truncated)


def reader(capture):
    def on_readable(stream, selector):
        try:
            chunk = os.read(stream.fileno(), READ_CHUNK)
        except OSError:
            chunk = b""
        if chunk:
            capture.add(chunk)
        else:
            selector.unregister(stream)
            stream.close()

    return on_readable


def writer(data):
    remaining = memoryview(data)

    def on_writable(stream, selector):
        nonlocal remaining
        try:
            remaining = remaining[os.write(stream.fileno(), remaining):]
        except OSError:
            # The program is gone or closed stdin before reading its arguments; nothing left to do.
            remaining = remaining[:0]
        if not remaining:
            selector.unregister(stream)
            stream.close()

    return on_writable


def pump(selector, until, keep_going):
    """Moves data between the program's pipes and their handlers until every pipe is closed, the
    monotonic time `until` passes, or `keep_going()` turns false."""
    while selector.get_map():
        remaining = until - time.monotonic()
        if remaining <= 0 or not keep_going():
            return
        for key, _ in selector.select(min(remaining, POLL_SECONDS)):
            key.data(key.fileobj, selector)


def kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def child_environment():
    env = dict(os.environ)
    # The root filesystem is read-only and HOME is the work dir: give matplotlib a head-less backend
    # and a writable cache that does not clutter the work dir.
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("MPLCONFIGDIR", os.path.join(env.get("TMPDIR") or "/tmp", "matplotlib"))
    seed_matplotlib_cache(env["MPLCONFIGDIR"])
    return env


def seed_matplotlib_cache(config_dir):
    """Matplotlib scans every font on its first import, which costs seconds in each fresh sandbox; the
    image ships the scan's result next to the runner (Dockerfile) and each run starts from a copy."""
    shipped = os.path.join(os.path.dirname(os.path.abspath(__file__)), "matplotlib")
    if not os.path.isdir(shipped) or os.path.exists(config_dir):
        return
    try:
        shutil.copytree(shipped, config_dir)
    except OSError:
        pass  # matplotlib scans the fonts itself, only slower


class Program:
    """The child interpreter, started before the job so it is ready when the job arrives."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.path = os.path.join(workdir, PROGRAM_FILE)
        result_read, result_write = os.pipe()
        try:
            self.child = subprocess.Popen(
                [sys.executable or "python3", "-I", "-B", "-X", "utf8", BOOTSTRAP,
                 str(result_write), self.path, ",".join(GUARDS)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                pass_fds=(result_write,), cwd=workdir, env=child_environment(), start_new_session=True,
            )
        finally:
            os.close(result_write)
        self.result = open(result_read, "rb", buffering=0)

    def abandon(self):
        """No job came: end the waiting interpreter and everything in its group."""
        kill_group(self.child.pid)
        self.child.wait()

    def run(self, job, timings):
        make_artifacts_dir(self.workdir)
        with open(self.path, "wb") as program_file:
            program_file.write(job["source"].encode("utf-8", "surrogatepass"))
        child = self.child
        limit = job["maxOutputBytes"]
        stdout, stderr, result = Capture(limit), Capture(limit), Capture(limit)
        start_line = json.dumps({"arguments": job["arguments"], "maxResultBytes": limit}) + "\n"
        # Marked before the duration's start is read, so the marks span the program's duration.
        timings.mark("programStartedMs")
        start = time.monotonic()
        os.set_blocking(child.stdin.fileno(), False)
        with selectors.DefaultSelector() as selector:
            selector.register(child.stdin, selectors.EVENT_WRITE, writer(start_line.encode()))
            selector.register(child.stdout, selectors.EVENT_READ, reader(stdout))
            selector.register(child.stderr, selectors.EVENT_READ, reader(stderr))
            selector.register(self.result, selectors.EVENT_READ, reader(result))

            deadline = start + job["timeoutMs"] / 1000
            pump(selector, deadline, lambda: child.poll() is None)
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
                timed_out = False
            except subprocess.TimeoutExpired:
                timed_out = True
            duration_ms = (time.monotonic() - start) * 1000
            timings.mark("programEndedMs")
            # Kills the program at its timeout, or whatever it left running in its group after it ended.
            kill_group(child.pid)
            child.wait()
            memory_kb = peak_memory_kb()
            pump(selector, time.monotonic() + DRAIN_SECONDS, lambda: True)
            for key in list(selector.get_map().values()):
                key.fileobj.close()

        report = build_report(child.returncode, timed_out, duration_ms, memory_kb, stdout, stderr, result)
        # Only a program that ended well has artifacts; otherwise its files are not even looked at.
        if child.returncode == 0 and not timed_out:
            report["artifacts"], report["skippedArtifacts"] = collect_artifacts(self.workdir)
        return report


def make_artifacts_dir(workdir):
    """mkdir(2) never follows a link at the last component; whatever is already there (a directory, a
    file, a link) is left as it is."""
    try:
        os.mkdir(os.path.join(workdir, ARTIFACTS_DIR), 0o755)
    except FileExistsError:
        pass


def collect_artifacts(workdir):
    """The files the program left for the caller, as (artifacts, skippedArtifacts): first the allowed
    files at the top of the work dir are moved into artifacts/, then every entry of artifacts/ is
    checked, the candidates sorted by name and the first MAX_ARTIFACTS read through a descriptor that
    cannot be a link. Nothing goes to stderr: RAGFlow takes any stderr for an error."""
    path = os.path.join(workdir, ARTIFACTS_DIR)
    try:
        make_artifacts_dir(workdir)  # the program may have removed it
        folder = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return [], []  # a file or a link named artifacts, or a folder the program made unreadable
    try:
        # gVisor follows a link for O_DIRECTORY | O_NOFOLLOW (Linux says ENOTDIR): the folder opened must
        # be the directory named artifacts itself.
        opened, named = os.fstat(folder), os.lstat(path)
        if not stat.S_ISDIR(named.st_mode) or (opened.st_dev, opened.st_ino) != (named.st_dev, named.st_ino):
            return [], []
        skipped = promote_root_files(workdir, folder)
        candidates = []
        for name in os.listdir(folder):
            shown, reason = check_entry(name, folder)
            if reason is None:
                candidates.append(name)
            elif reason:
                skipped.append(skip(shown, *reason))
        artifacts = []
        # The names passed the UTF-8 check: their bytes sort in code point order.
        for name in sorted(candidates, key=os.fsencode):
            shown = os.fsencode(name).decode()
            if len(artifacts) == MAX_ARTIFACTS:
                skipped.append(skip(shown, "limit"))
                continue
            outcome = read_artifact(name, folder)
            if isinstance(outcome, dict):
                artifacts.append({"name": shown, **outcome})
            elif outcome:
                skipped.append(skip(shown, *outcome))
    except OSError:
        return [], []  # the program changed permissions under us; report nothing rather than fail the run
    finally:
        os.close(folder)
    skipped.sort(key=lambda entry: entry["name"])
    return artifacts, skipped[:MAX_SKIPPED_ARTIFACTS]


def skip(name, reason, size=None):
    entry = {"name": name[:MAX_SKIPPED_NAME], "reason": reason}
    if size is not None:
        entry["size"] = size
    return entry


def artifact_name(name):
    """The name as reported (invalid UTF-8 replaced) and whether it is allowed for an artifact."""
    raw = os.fsencode(name)
    shown = raw.decode("utf-8", "replace")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return shown, False
    return shown, not FORBIDDEN_NAME.search(shown)


def mime_type(name):
    raw = os.fsencode(name)
    dot = raw.rfind(b".")
    return ARTIFACT_TYPES.get(raw[dot:].lower()) if dot > 0 else None


def promote_root_files(workdir, folder):
    """Moves each allowed regular file at the top of the work dir into artifacts/, as if the program had
    written it there; one whose name is taken in artifacts/ stays where it is ("name-conflict"). Other
    files at the top are no artifacts and not reported."""
    skipped = []
    root = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in os.listdir(root):
            shown, allowed = artifact_name(name)
            if name in RUNNER_NAMES or not allowed or mime_type(name) is None:
                continue
            try:
                if not stat.S_ISREG(os.lstat(name, dir_fd=root).st_mode):
                    continue
                # rename(2) would replace an artifact of that name; link(2) fails instead, atomically.
                os.link(name, name, src_dir_fd=root, dst_dir_fd=folder, follow_symlinks=False)
            except FileExistsError:
                skipped.append(skip(shown, "name-conflict"))
                continue
            except OSError:
                continue  # gone meanwhile, or not linkable: it stays where it is
            os.unlink(name, dir_fd=root)
    finally:
        os.close(root)
    return skipped


def check_entry(name, folder):
    """(shown name, None) for a candidate, (shown, (reason, size?)) for a skipped entry, (shown, ())
    for one that vanished; from lstat, so a link is never followed."""
    shown, allowed = artifact_name(name)
    if not allowed:
        return shown, ("name",)
    try:
        info = os.lstat(name, dir_fd=folder)
    except FileNotFoundError:
        return shown, ()
    if stat.S_ISLNK(info.st_mode):
        return shown, ("symlink",)
    if not stat.S_ISREG(info.st_mode):
        return shown, ("not-regular",)
    if mime_type(name) is None:
        return shown, ("extension",)
    return shown, size_problem(info.st_size)


def size_problem(size):
    if size == 0:
        return ("empty",)
    if size > MAX_ARTIFACT_BYTES:
        return ("too-large", size)
    return None


def read_artifact(name, folder):
    """{mimeType, size, sha256} of the bytes read through a descriptor opened with O_NOFOLLOW (a link
    swapped in after lstat fails to open; O_NONBLOCK keeps a FIFO from blocking), or (reason, size?),
    or () when it cannot be opened at all."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
    except OSError as error:
        return ("symlink",) if error.errno == errno.ELOOP else ()
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return ("not-regular",)
        if info.st_size > MAX_ARTIFACT_BYTES:
            return ("too-large", info.st_size)
        digest, size = hashlib.sha256(), 0
        while size <= MAX_ARTIFACT_BYTES:
            chunk = os.read(fd, READ_CHUNK)
            if not chunk:
                break
            digest.update(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    problem = size_problem(size)
    if problem:
        return problem
    return {"mimeType": mime_type(name), "size": size, "sha256": digest.hexdigest()}


def hold_sandbox(hold_ms):
    """Keeps the container alive after the result line (for the controller's `tar` of the artifacts, or
    so that the sandbox ends only once the controller has written the outcome) until it sends SIGTERM or
    SIGINT (blocked before the result line, so one sent right after it is not lost) or `hold_ms` passes."""
    signal.sigtimedwait(HOLD_SIGNALS, min(hold_ms, MAX_HOLD_MS) / 1000)


def peak_memory_kb():
    """The program's peak resident memory in KiB, or None. The interpreter is the runner's only child, so
    once it is reaped RUSAGE_CHILDREN's ru_maxrss is the largest peak of the interpreter and of the
    processes it (or they) waited for; processes nobody reaped do not count."""
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak if peak > 0 else None


def decode_result(capture):
    if capture.truncated or not capture.data:
        return {"present": False}
    try:
        return {"present": True, "value": json.loads(capture.data, parse_constant=reject_constant)}
    except (ValueError, RecursionError):
        # Only a program writing into the result channel itself gets here.
        return {"present": False}


def reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"SIG{number}"


def build_report(returncode, timed_out, duration_ms, memory_kb, stdout, stderr, result):
    report = {
        "v": PROTOCOL_VERSION,
        "exitCode": returncode if returncode >= 0 else None,
        "signal": signal_name(-returncode) if returncode < 0 else None,
        "timedOut": timed_out,
        "durationMs": round(duration_ms),
        "stdout": stdout.text(),
        "stderr": stderr.text(),
        "stdoutTruncated": stdout.truncated,
        "stderrTruncated": stderr.truncated,
        "result": decode_result(result),
    }
    if memory_kb is not None:
        report["memoryKb"] = memory_kb
    return report


def escape_marker(report_json):
    """The program's output may contain the marker; inside a JSON string `\\u005f` is the same `_`, and
    the line then holds the marker exactly once, at its start, however it is searched."""
    return report_json.replace(RESULT_MARKER.strip(), "\\u005f" + RESULT_MARKER.strip()[1:])


def program_file_problem():
    """Why CODERUN_PROGRAM_FILE cannot be the program's file, or None when it can."""
    if not PLAIN_FILE_NAME.fullmatch(PROGRAM_FILE) or len(PROGRAM_FILE) > 128:
        return f"CODERUN_PROGRAM_FILE must be a plain file name such as main.py, got {PROGRAM_FILE!r}"
    if PROGRAM_FILE == ARTIFACTS_DIR:
        return f"CODERUN_PROGRAM_FILE names what the runner itself creates in the work dir: {PROGRAM_FILE!r}"
    return None


def main():
    problem = program_file_problem()
    if problem:
        print(f"coderun runner: internal error: {problem}", file=sys.stderr)
        return EXIT_INTERNAL
    try:
        program = Program(os.environ.get("CODERUN_WORKDIR") or os.getcwd())
    except Exception as error:  # noqa: BLE001 - cannot start the interpreter at all
        print(f"coderun runner: internal error: cannot start the program interpreter: {error!r}", file=sys.stderr)
        return EXIT_INTERNAL
    try:
        job, timings = read_job()
    except JobError as error:
        program.abandon()
        print(f"coderun runner: {error}", file=sys.stderr)
        return error.code
    try:
        report = program.run(job, timings)
        timings.mark("reportMs")
        report["timings"] = timings.report
    except Exception as error:  # noqa: BLE001 - whatever went wrong, the controller needs exit code 4
        print(f"coderun runner: internal error: {error!r}", file=sys.stderr)
        return EXIT_INTERNAL
    hold = max(job["holdMs"], job["artifactHoldMs"] if report.get("artifacts") else 0)
    if hold:
        signal.pthread_sigmask(signal.SIG_BLOCK, HOLD_SIGNALS)
    # The program shares the runner's user and can write into the runner's stdout (/proc/<pid>/fd/1): a
    # forged line followed by an unfinished one would glue our marker to its end. Starting on a new line
    # keeps ours the last line that begins with the marker, as the controller reads it.
    line = "\n" + RESULT_MARKER + escape_marker(json.dumps(report, separators=(",", ":"))) + "\n"
    sys.stdout.buffer.write(line.encode())
    sys.stdout.buffer.flush()
    if hold:
        hold_sandbox(hold)
        # The result line is out and flushed; finalising the interpreter would take tens of milliseconds
        # of the Pod's termination, for nothing.
        os._exit(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
