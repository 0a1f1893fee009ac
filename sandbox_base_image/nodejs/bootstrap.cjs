// The bootstrap of coderun's Node.js runner (runner.mjs), in the program's interpreter: the contract is
// docs/runner-protocol.md.
//
// Runs as `node [guards] bootstrap.cjs <program path> <guarded|>`, started before the job arrives so Node is
// up by the time it does. It blocks reading stdin to its end: {"arguments": ..., "maxResultBytes": n}, which
// the runner writes once the program file is in place. The result channel is fd 3, never the program's
// stdout, so nothing the program prints can pass for the result; fd 4 carries the interpreter's peak memory.
// Node decides CommonJS or ES module from the program's syntax. An exception or rejection is left uncaught:
// Node prints it the way `node main.js` would and exits with code 1. The bootstrap is CommonJS on purpose
// (`--input-type=module` would be inherited by the program's eval Workers) and keeps everything in one
// closure, so the program can reach none of its names; as a file (not `node -e`) it leaves no `require`,
// `module` or built-in module behind as a global either.
'use strict';

(async () => {
  const { closeSync, readFileSync, writeSync } = require('node:fs');
  const { pathToFileURL } = require('node:url');

  const RESULT_FD = 3;
  const USAGE_FD = 4;
  const [program, guards] = process.argv.slice(2);
  // A step the permission model refuses ends the program with Node's own error, and with a line that
  // names the step in the words RAGFlow reads: "Permission denied" for files, "Operation not permitted"
  // for the rest.
  const REFUSED = {
    FileSystemRead: [
      'reading files outside the work dir, the temp dir and the packages',
      'Permission denied',
    ],
    FileSystemWrite: ['writing files outside the work dir and the temp dir', 'Permission denied'],
    ChildProcess: ['starting a process', 'Operation not permitted'],
    WorkerThreads: ['starting a worker thread', 'Operation not permitted'],
    WASI: ['running WASI', 'Operation not permitted'],
    Inspector: ['opening the inspector', 'Operation not permitted'],
  };
  let maxResultBytes = 0;

  // The runner cannot read a process's peak memory once the process is gone (Node has no RUSAGE_CHILDREN),
  // so the interpreter reports its own on its way out: getrusage's ru_maxrss, the kernel's exact peak.
  process.on('exit', () => {
    try {
      writeSync(USAGE_FD, String(process.resourceUsage().maxRSS));
    } catch {}
  });

  if (guards === 'guarded') {
    // The permission model does not cover signals, and the program shares the runner's user: it could
    // stop or kill the runner (and with it the timeout). process.kill goes through process._kill, whose
    // original only this closure keeps (process.binding is refused); it signals this process alone.
    const kill = process._kill;
    const EPERM = require('node:os').constants.errno.EPERM;
    process._kill = (pid, signal) =>
      pid === process.pid || pid === 0 || pid === -process.pid
        ? Reflect.apply(kill, process, [pid, signal])
        : -EPERM;
  }

  process.on('uncaughtExceptionMonitor', (error) => {
    const code = error?.code;
    let refused;
    if (code === 'EPERM' && error.syscall === 'kill') {
      refused =
        'signalling another process is not allowed in the sandbox (process.kill): Operation not permitted';
    } else if (code === 'ERR_ACCESS_DENIED') {
      // process.binding's refusal names no permission, only the API.
      const [what, words] = REFUSED[error.permission] ?? [
        `using ${error.message}`,
        'Operation not permitted',
      ];
      const detail = [error.permission, error.resource].filter(Boolean).join(', ');
      refused = `${what} is not allowed in the sandbox${detail ? ` (${detail})` : ''}: ${words}`;
    } else if (code === 'ERR_DLOPEN_DISABLED') {
      refused = 'loading native code is not allowed in the sandbox (process.dlopen): Operation not permitted';
    }
    if (refused) process.stderr.write(`coderun: ${refused}\n`);
  });

  function fail(message) {
    process.stderr.write(`coderun: ${message}\n`);
    process.exit(1);
  }

  function findMain(exports) {
    const declared = globalThis[Symbol.for('coderun.main')];
    delete globalThis[Symbol.for('coderun.main')];
    // export function main / exports.main, then module.exports = main / export default, then
    // module.exports = { main } where the CommonJS export scan missed it, then a plain declaration.
    const candidates = [exports.main, exports.default, exports.default?.main, declared?.()];
    return candidates.find((candidate) => typeof candidate === 'function');
  }

  function deliver(payload) {
    const data = Buffer.from(payload);
    try {
      for (let offset = 0; offset < data.length; ) offset += writeSync(RESULT_FD, data, offset);
      closeSync(RESULT_FD);
    } catch (error) {
      fail(
        `could not deliver the value main() returned (${error.code}); ` +
          `the program closed the runner's file descriptor ${RESULT_FD}`,
      );
    }
  }

  function serialise(value) {
    let payload;
    try {
      payload = JSON.stringify(value);
    } catch (error) {
      fail(`main() returned a value that is not JSON-serialisable: ${error.message}`);
    }
    if (payload === undefined)
      fail(`main() returned a value that is not JSON-serialisable: a ${typeof value}`);
    const size = Buffer.byteLength(payload);
    if (size > Number(maxResultBytes)) {
      fail(`main() returned ${size} bytes of JSON, over the limit of ${maxResultBytes}`);
    }
    return payload;
  }

  // A TypeScript program (the runtime's program file ends in .ts): Node strips its types with a WebAssembly
  // module that takes some 100 ms to load, so it is loaded now, before the job arrives. The warning that
  // module.stripTypeScriptTypes is experimental would land in the program's stderr; it is not the program's.
  if (/\.[cm]?ts$/.test(program)) {
    const emitWarning = process.emitWarning;
    process.emitWarning = () => {};
    try {
      require('node:module').stripTypeScriptTypes('let ready: boolean;');
    } catch {
      // An older Node without it: the first import of the program loads the stripper instead.
    } finally {
      process.emitWarning = emitWarning;
    }
  }

  const start = readFileSync(0, 'utf8');
  if (!start) return; // the runner gave up before a job arrived
  const { arguments: args, maxResultBytes: max } = JSON.parse(start);
  maxResultBytes = max;
  process.argv = [process.argv[0], program];
  const main = findMain(await import(pathToFileURL(program).href));
  if (!main) return;
  // JSON has no undefined: a main that returns nothing reports null, like Python's None.
  deliver(serialise((await main(args)) ?? null));
})();
