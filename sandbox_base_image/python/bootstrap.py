"""The bootstrap of coderun's Python runner (runner.py), in the program's interpreter: the contract is
docs/runner-protocol.md.

Runs as `python3 -I -B -X utf8 bootstrap.py <result fd> <program path> <guards>`, started before the job
arrives (so the interpreter is up, the modules in CODERUN_PRELOAD imported and the guards installed by
the time it does). It then waits for one line on stdin, {"arguments": ..., "maxResultBytes": n}, which
the runner writes once the program file is in place. The result goes through the inherited pipe, never
through the program's stdout, so nothing the program prints can pass for it. Everything lives inside
functions that the bootstrap calls before it empties its module namespace, which the program could
reach (through sys.excepthook).
"""

import sys


def bootstrap(result_fd, path, guards):
    import errno, json, os, sys, types

    own_file = sys._getframe().f_code.co_filename

    def fail(message):
        sys.stderr.write("coderun: " + message + "\n")
        sys.exit(1)

    def preload():
        # Imported once in the waiting interpreter; the program's own import is then a dictionary lookup.
        for name in filter(None, os.environ.pop("CODERUN_PRELOAD", "").split(",")):
            try:
                __import__(name.strip())
            except Exception:
                pass

    def announce_ready():
        # The file a startup probe looks for (docs/runner-protocol.md, Readiness): from now on a job is
        # answered by an interpreter that has nothing left to import.
        ready = os.environ.pop("CODERUN_READY_FILE", "")
        if ready:
            try:
                os.close(os.open(ready, os.O_WRONLY | os.O_CREAT, 0o444))
            except OSError as error:
                sys.stderr.write("coderun: cannot announce readiness at %s: %s\n" % (ready, error.strerror))

    def hide_bootstrap_frames(kind, error, tb):
        # The traceback reads as if `python3 main.py` had run: no bootstrap frames before the program's,
        # and no audit hook frame where the hook refused a step (in chained exceptions too).
        while tb is not None and tb.tb_frame.f_code.co_filename == own_file:
            tb = tb.tb_next
        seen, pending = set(), [(error, tb)]
        while pending:
            chained, last = pending.pop()
            while last is not None and last.tb_next is not None:
                if last.tb_next.tb_frame.f_code.co_name == "coderun_audit_hook":
                    last.tb_next = None
                else:
                    last = last.tb_next
            seen.add(id(chained))
            pending += [(e, e.__traceback__) for e in (chained.__cause__, chained.__context__)
                        if e is not None and id(e) not in seen]
        import traceback
        traceback.print_exception(kind, error, tb)

    def deliver(payload):
        data = payload.encode()
        try:
            while data:
                data = data[os.write(result_fd, data):]
            os.close(result_fd)
        except OSError as error:
            fail("could not deliver the value main() returned (%s); the program closed the runner's "
                 "file descriptor %d" % (error.strerror, result_fd))

    def end(module):
        """The program is done: what the interpreter's exit does that a program can see (its non-daemon
        threads are waited for, its atexit functions run, the objects it left in __main__ are finalised,
        so files it left open are flushed and closed, and stdout and stderr are flushed), then exit 0
        without the teardown of every module, which took 10-40 ms more (under gVisor) on the run's path.
        When a flush fails, the interpreter's own exit reports it as it would (exit code 120)."""
        import atexit, gc
        threading = sys.modules.get("threading")
        if threading is not None:
            threading._shutdown()
        atexit._run_exitfuncs()
        module.__dict__.clear()
        gc.collect()
        try:
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:
                    stream.flush()
        except Exception:
            return
        os._exit(0)

    # Processes the program starts must not inherit the result channel.
    os.set_inheritable(result_fd, False)
    preload()
    announce_ready()
    workdir = os.path.dirname(path)
    if "processes" in guards:
        try:
            refuse_processes()
        except OSError as error:
            fail("cannot install the sandbox's process guard, so the program does not run: %s" % error)
    if "audit" in guards:
        install_audit_hook(library_dirs(workdir), os.getpid(), errno.EPERM)
    sys.excepthook = hide_bootstrap_frames
    # The program can reach this namespace (sys.excepthook.__globals__); leave nothing of the bootstrap
    # in it (only __builtins__ and the like, which C code importing on a bootstrap frame's behalf needs).
    namespace = globals()
    for name in [name for name in namespace if not name.startswith("__")]:
        del namespace[name]
    # What exists now lives as long as the interpreter: the collector need not look at it again, neither
    # while the program runs nor at its end (a quarter of the interpreter's exit, more with preloads).
    import gc
    gc.freeze()
    start = sys.stdin.buffer.readline()
    if not start:
        return  # the runner gave up before a job arrived
    start = json.loads(start)
    arguments, max_result_bytes = start["arguments"], start["maxResultBytes"]
    sys.argv = [path]
    # The program's own modules import from the work dir, but never in place of a library.
    sys.path.append(workdir)
    module = types.ModuleType("__main__")
    module.__file__ = path
    sys.modules["__main__"] = module
    with open(path, "rb") as source:
        code = compile(source.read(), path, "exec")
    exec(code, module.__dict__)

    entry = module.__dict__.get("main")
    if entry is None:
        end(module)
        return
    value = entry(**arguments)
    import collections.abc
    if isinstance(value, collections.abc.Coroutine):
        import asyncio
        value = asyncio.run(value)
    try:
        payload = json.dumps(value, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError) as error:
        fail("main() returned a value that is not JSON-serialisable: %s" % error)
    if len(payload) > max_result_bytes:
        fail("main() returned %d bytes of JSON, over the limit of %d" % (len(payload), max_result_bytes))
    deliver(payload)
    end(module)


# seccomp, per architecture: the audit arch, the x32 bit (0 where there is none), and the system call
# numbers the filter looks at (None where the architecture has no such call).
SECCOMP_ARCHES = {
    "x86_64": (0xC000003E, 0x40000000, dict(
        execve=59, execveat=322, fork=57, vfork=58, clone=56, clone3=435, kill=62, tkill=200, tgkill=234,
        rt_sigqueueinfo=129, rt_tgsigqueueinfo=297, pidfd_open=434, pidfd_send_signal=424, ptrace=101,
        process_vm_readv=310, process_vm_writev=311, seccomp=317)),
    "aarch64": (0xC00000B7, 0, dict(
        execve=221, execveat=281, fork=None, vfork=None, clone=220, clone3=435, kill=129, tkill=130,
        tgkill=131, rt_sigqueueinfo=138, rt_tgsigqueueinfo=240, pidfd_open=434, pidfd_send_signal=424,
        ptrace=117, process_vm_readv=270, process_vm_writev=271, seccomp=277)),
}


def process_filter(arch, x32_bit, calls, pid):
    # A classic BPF program over struct seccomp_data {int nr; u32 arch; u64 ip; u64 args[6];}: no new
    # program (execve), no new process (fork, vfork, clone without CLONE_THREAD; clone3 hides its flags
    # in memory, so it says ENOSYS and the C library falls back to clone), no signal to or hold on any
    # process but this one. Threads go on working.
    LD, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
    ALLOW, ERRNO, EPERM, ENOSYS, CLONE_THREAD = 0x7FFF0000, 0x00050000, 1, 38, 0x00010000
    NR, ARCH, ARG0 = 0, 4, 16  # offsets; an argument's low 32 bits (what the kernel reads as pid_t)

    def refuse(code=EPERM):
        return [(RET, 0, 0, ERRNO | code)]

    def first_arg_in(*values):
        # Allows the call when its first argument is one of `values`, refuses it otherwise.
        n = len(values)
        return ([(LD, 0, 0, ARG0)] + [(JEQ, n - i, 0, v & 0xFFFFFFFF) for i, v in enumerate(values)]
                + [(RET, 0, 0, ERRNO | EPERM), (RET, 0, 0, ALLOW)])

    rules = {
        "execve": refuse(), "execveat": refuse(), "fork": refuse(), "vfork": refuse(),
        "clone3": refuse(ENOSYS),
        "clone": [(LD, 0, 0, ARG0), (JSET, 0, 1, CLONE_THREAD), (RET, 0, 0, ALLOW), (RET, 0, 0, ERRNO | EPERM)],
        # kill(pid | 0 = own group | -pid = own group by id); the others take a process id first.
        "kill": first_arg_in(pid, 0, -pid), "tgkill": first_arg_in(pid),
        "rt_sigqueueinfo": first_arg_in(pid), "rt_tgsigqueueinfo": first_arg_in(pid),
        "pidfd_open": first_arg_in(pid),
        "tkill": refuse(), "pidfd_send_signal": refuse(), "ptrace": refuse(),
        "process_vm_readv": refuse(), "process_vm_writev": refuse(),
    }
    program = [(LD, 0, 0, ARCH), (JEQ, 1, 0, arch), (RET, 0, 0, ERRNO | EPERM), (LD, 0, 0, NR)]
    if x32_bit:
        program += [(JGE, 0, 1, x32_bit), (RET, 0, 0, ERRNO | EPERM)]
    for name, handler in rules.items():
        if calls[name] is not None:
            program += [(JEQ, 0, len(handler), calls[name])] + handler
    return program + [(RET, 0, 0, ALLOW)]


def refuse_processes():
    # Audit hooks see only what the interpreter reports (_posixsubprocess.fork_exec, or fork through
    # ctypes, raise no event); this filter is the kernel's, cannot be removed, and is inherited by every
    # thread (TSYNC) and by anything the program might still start.
    import ctypes, errno, os
    machine = os.uname().machine
    if machine not in SECCOMP_ARCHES:
        raise OSError("no seccomp filter for the architecture %s" % machine)
    arch, x32_bit, calls = SECCOMP_ARCHES[machine]
    program = process_filter(arch, x32_bit, calls, os.getpid())

    class Instruction(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                    ("k", ctypes.c_uint32)]

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(Instruction))]

    instructions = (Instruction * len(program))(*program)
    fprog = Program(len(program), instructions)
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_NO_NEW_PRIVS, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC = 38, 1, 1
    long = ctypes.c_long
    if libc.prctl(PR_SET_NO_NEW_PRIVS, long(1), long(0), long(0), long(0)) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS): " + os.strerror(ctypes.get_errno()))
    for flags in (SECCOMP_FILTER_FLAG_TSYNC, 0):
        if libc.syscall(long(calls["seccomp"]), long(SECCOMP_SET_MODE_FILTER), long(flags), ctypes.byref(fprog)) == 0:
            return
        # Without TSYNC (a kernel that lacks it) threads started before this one keep running unfiltered;
        # the program's code runs on this thread and on the threads it starts, which inherit the filter.
        if ctypes.get_errno() != errno.EINVAL:
            break
    raise OSError(ctypes.get_errno(), "seccomp(SECCOMP_SET_MODE_FILTER): " + os.strerror(ctypes.get_errno()))


def library_dirs(workdir):
    # Where native code may come from: the interpreter's own directories (standard library,
    # lib-dynload, site-packages) and the system's, never a place the program can write to.
    import os
    writable = tuple(os.path.join(os.path.realpath(d), "") for d in
                     {workdir, os.environ.get("TMPDIR") or "/tmp", "/tmp", "/var/tmp", "/dev/shm", "/run"})
    candidates = [p for p in sys.path if os.path.isabs(p)]
    candidates += [os.path.join(sys.base_prefix, "lib"), os.path.join(sys.prefix, "lib"),
                   "/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib"]
    dirs = []
    for directory in candidates:
        directory = os.path.join(os.path.normpath(directory), "")
        real = os.path.join(os.path.realpath(directory), "")
        if not (directory.startswith(writable) or real.startswith(writable)) and directory not in dirs:
            dirs.append(directory)
    return tuple(dirs)


def install_audit_hook(dirs, pid, eperm):
    # The hook reads no global or builtin name, only the constants bound here (its closure), so a program
    # that rebinds builtins or the bootstrap's namespace cannot change what it decides; the function itself
    # is referenced only by the interpreter's hook list, which Python code cannot read (and gc's object
    # walks are refused). Only exact str, bytes and int arguments are looked at; anything else (a subclass
    # could answer differently on each call) is refused.
    process = frozenset({"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
                         "os.fork", "os.forkpty", "pty.spawn", "os.startfile"})
    native = frozenset({"ctypes.dlsym", "ctypes.dlsym/handle", "ctypes.call_function", "ctypes.cdata",
                        "ctypes.string_at", "ctypes.wstring_at", "ctypes.PyObj_FromPtr",
                        "sqlite3.load_extension"})
    internals = frozenset({"gc.get_objects", "gc.get_referrers", "gc.get_referents"})
    handled = process | native | internals | frozenset(
        {"ctypes.dlopen", "import", "sqlite3.enable_load_extension", "os.kill", "os.killpg"})
    _type, _str, _bytes, _int, _bool, _none, _error = type, str, bytes, int, bool, None, PermissionError
    _startswith, _split, _decode = str.startswith, str.split, bytes.decode

    def coderun_audit_hook(event, args):
        # Most events (attribute reads, id(), open, exec) end at the first line: ~0.3 µs.
        if event not in handled or _type(event) is not _str:
            return
        what = _none
        if event in process:
            what = "starting a process"
        elif event in native:
            what = "loading or calling native code"
        elif event in internals:
            what = "inspecting the interpreter's objects"
        elif event == "os.kill" or event == "os.killpg":
            target = args[0]
            if _type(target) is not _int or not (target == pid or target == 0 or target == -pid):
                what = "signalling another process"
        elif event == "sqlite3.enable_load_extension":
            if not (_type(args[1]) is _bool and not args[1]):
                what = "loading or calling native code"
        else:
            # ctypes.dlopen(name) and the import of an extension module (module, path, ...): a bare
            # name is found by the dynamic linker in the image's directories; a path must lie under
            # one of the library dirs, without `.` or `..`.
            name = args[0] if event == "ctypes.dlopen" else args[1]
            if name is _none:
                return
            if _type(name) is _bytes:
                name = _decode(name, "utf-8", "surrogateescape")
            if _type(name) is not _str:
                what = "loading or calling native code"
            elif event == "ctypes.dlopen" and "/" not in name:
                return
            elif not _startswith(name, dirs) or ".." in _split(name, "/") or "." in _split(name, "/"):
                what = "loading or calling native code"
        if what is not _none:
            raise _error(eperm, "coderun: " + what + " is not allowed in the sandbox (" + event
                         + "): Operation not permitted")

    sys.addaudithook(coderun_audit_hook)


bootstrap(int(sys.argv[1]), sys.argv[2], sys.argv[3].split(","))
