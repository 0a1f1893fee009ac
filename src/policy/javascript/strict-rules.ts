// The tables of the strict JavaScript profile, each entry with its reason. A program may do data work, including
// files in its work dir (`fs`); it may not start processes, load native code or other modules than these,
// evaluate code built at run time or reach the module system and the engine's internals.

/**
 * Modules a strict program may import or require (with or without `node:`, and their subpaths listed here):
 * the built-ins that serve data work and the packages the image ships. Relative paths, `data:` URLs and
 * anything else are refused, so a file the program writes never becomes code.
 */
export const NODE_ALLOWED_MODULES: ReadonlySet<string> = new Set([
  'assert',
  'assert/strict',
  'async_hooks',
  'buffer',
  'console',
  'crypto',
  'diagnostics_channel',
  'dns',
  'dns/promises',
  'events',
  'fs',
  'fs/promises',
  'http',
  'https',
  'http2',
  'os',
  'path',
  'path/posix',
  'path/win32',
  'perf_hooks',
  'process',
  'punycode',
  'querystring',
  'readline',
  'readline/promises',
  'stream',
  'stream/consumers',
  'stream/promises',
  'stream/web',
  'string_decoder',
  'timers',
  'timers/promises',
  'tty',
  'url',
  'util',
  'util/types',
  'zlib',
  // The image's packages (sandbox_base_image/nodejs/package.json).
  'axios',
]);

/** Members of `process` refused wherever they are read (and any member whose name starts with `_`). */
export const NODE_DENIED_PROCESS_MEMBERS: Readonly<Record<string, string>> = {
  binding: 'the internal C++ bindings, e.g. spawn_sync',
  dlopen: 'loads native code',
  mainModule: 'mainModule.require loads any module',
  execve: 'replaces this process with another program',
  kill: 'signals other processes in the sandbox, such as the runner',
};

/** The members of `module` a program may read; the rest (parent, children, constructor, ...) reach the loader. */
export const NODE_MODULE_MEMBERS: ReadonlySet<string> = new Set([
  'exports',
  'id',
  'filename',
  'path',
  'loaded',
  'require',
]);

/** Members of `require` refused: the module cache and the loaders per extension. */
export const NODE_DENIED_REQUIRE_MEMBERS: Readonly<Record<string, string>> = {
  cache: 'the module cache holds every loaded module',
  extensions: 'registers loaders that compile files',
  call: 'require called indirectly',
  apply: 'require called indirectly',
  bind: 'require handed on',
};

/**
 * Property names refused whatever object they are read from: each is a step to the Function constructor,
 * eval, the module loader, a caller's frame or native code, and ordinary programs never read them.
 */
export const NODE_DENIED_PROPERTIES: Readonly<Record<string, string>> = {
  eval: 'runs source the policy cannot see',
  Function: 'the Function constructor',
  __proto__: 'climbs the prototype chain to constructors and the loader',
  caller: 'the calling function, up to the module wrapper and its require',
  callee: 'the running function, whose caller reaches the module wrapper',
  prepareStackTrace: 'the stack-trace API hands out functions and receivers of every frame',
  getFunction: 'a stack frame’s function',
  getThis: 'a stack frame’s receiver',
  getOwnPropertyNames: 'lists non-enumerable properties, such as constructor',
  getOwnPropertyDescriptor: 'reads non-enumerable properties, such as constructor',
  getOwnPropertyDescriptors: 'reads non-enumerable properties, such as constructor',
  ownKeys: 'lists non-enumerable properties, such as constructor',
  __lookupGetter__: 'reads accessors behind the property rules',
  __lookupSetter__: 'reads accessors behind the property rules',
  __defineGetter__: 'defines accessors behind the property rules',
  __defineSetter__: 'defines accessors behind the property rules',
  dlopen: 'loads native code',
  mainModule: 'mainModule.require loads any module',
  execve: 'replaces this process with another program',
  _linkedBinding: 'the internal C++ bindings',
  _debugProcess: 'opens the inspector of another process, such as the runner',
  _debugEnd: 'the inspector',
  _load: 'the module loader',
  _compile: 'compiles a source string as a module',
  _resolveFilename: 'the module loader',
  _extensions: 'the loaders per extension',
  _cache: 'the module cache',
  socketPath: 'connects to Unix sockets NetworkPolicy cannot see',
};

/** Globals refused wherever they are referenced. */
export const NODE_DENIED_GLOBALS: Readonly<Record<string, string>> = {
  eval: 'runs source the policy cannot see',
  WebAssembly: 'compiles native code at run time',
};

/**
 * Names that, as string constants, feed a computed property, Reflect.get or a destructuring default: refused
 * outside comparisons (`key === 'constructor'` guards stay allowed).
 */
export const NODE_SENSITIVE_NAMES: ReadonlySet<string> = new Set([
  'constructor',
  'eval',
  'Function',
  'require',
  'getBuiltinModule',
  'binding',
  'dlopen',
  'mainModule',
  'caller',
  'callee',
  'prepareStackTrace',
  '__proto__',
  '_load',
  '_compile',
  '_linkedBinding',
  '_debugProcess',
]);

/** Globals whose properties are the globals themselves: `globalThis.eval` is `eval`. */
export const NODE_GLOBAL_OBJECTS: ReadonlySet<string> = new Set(['globalThis', 'global']);

/** Functions that decode or reverse a string: a computed property named through them is hiding its name. */
export const NODE_DECODERS: ReadonlySet<string> = new Set([
  'atob',
  'fromCharCode',
  'fromCodePoint',
  'reverse',
  'unescape',
  'decodeURIComponent',
  'decodeURI',
  'from',
]);
