// Reads the image config of a Dockerfile's final stage, for the local image builds that make the same image
// without Docker (hack/build-sandbox-images.sh, hack/build-operator-image.sh). Only what those builds can
// honour is understood; anything else is an error naming the line, so a Dockerfile and its local build
// cannot drift apart in silence.
//   node hack/lib/dockerfile.ts [--context-only] [--no-cmd] <Dockerfile>   the config as JSON
import { readFileSync } from 'node:fs';

export interface DockerfileCopy {
  /** The stage (or image) of `COPY --from=`; "" for the build context. */
  from: string;
  sources: string[];
  destination: string;
}

export interface DockerfileConfig {
  entrypoint: string[];
  cmd: string[] | null;
  user: string;
  workdir: string;
  /** KEY=value, in the order first set; a later ENV of the same key replaces the value in place. */
  env: string[];
  copies: DockerfileCopy[];
}

export interface DockerfileOptions {
  /** The name errors give the file. */
  file?: string;
  /** The build copies from its build context only: COPY --from is an error. */
  contextOnly?: boolean;
  /** The build sets no CMD: a CMD is an error rather than left out of the image. */
  noCmd?: boolean;
}

/** The instructions of the final stage that make the image's config; FROM and RUN are read past. */
const INSTRUCTIONS = ['FROM', 'RUN', 'ENV', 'USER', 'WORKDIR', 'ENTRYPOINT', 'CMD', 'COPY'];
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Instruction {
  line: number;
  keyword: string;
  rest: string;
}

/** The config of the Dockerfile's final stage: ENTRYPOINT, CMD, USER, WORKDIR, ENV and COPY. */
export function parseDockerfile(text: string, options: DockerfileOptions = {}): DockerfileConfig {
  const file = options.file ?? 'Dockerfile';
  const fail = (line: number, message: string): never => {
    throw new Error(`${file}:${line}: ${message}`);
  };
  let stage: Partial<DockerfileConfig> & { env: string[]; copies: DockerfileCopy[] } = {
    env: [],
    copies: [],
  };
  let sawFrom = false;
  for (const { line, keyword, rest } of instructions(text, fail)) {
    if (!INSTRUCTIONS.includes(keyword)) {
      fail(line, `unsupported instruction ${keyword} (the local build reads ${INSTRUCTIONS.join(', ')})`);
    }
    if (keyword === 'FROM') {
      // Each stage starts afresh; only the last one's config is the image's.
      stage = { env: [], copies: [] };
      sawFrom = true;
      continue;
    }
    if (keyword === 'RUN') continue;
    if (['ENV', 'USER', 'WORKDIR', 'COPY'].includes(keyword) && rest.includes('$')) {
      fail(line, `${keyword}: variable substitution ($) is not supported here`);
    }
    if (keyword === 'ENV') {
      for (const pair of envPairs(rest, line, fail)) setEnv(stage.env, pair);
    } else if (keyword === 'USER') {
      stage.user = rest || fail(line, 'USER needs a user');
    } else if (keyword === 'WORKDIR') {
      if (!rest) fail(line, 'WORKDIR needs a directory');
      stage.workdir = rest.startsWith('/') ? rest : `${(stage.workdir ?? '').replace(/\/$/, '')}/${rest}`;
    } else if (keyword === 'ENTRYPOINT') {
      stage.entrypoint = argv(rest);
    } else if (keyword === 'CMD') {
      if (options.noCmd) fail(line, 'CMD is not supported for this image (its local build sets none)');
      stage.cmd = argv(rest);
    } else {
      stage.copies.push(copy(rest, line, fail, options.contextOnly ?? false));
    }
  }
  const last = text.split('\n').length;
  if (!sawFrom) fail(last, 'no FROM');
  const missing = (['entrypoint', 'user', 'workdir'] as const).filter((key) => stage[key] === undefined);
  if (missing.length > 0) {
    fail(last, `the final stage needs ${missing.map((key) => key.toUpperCase()).join(', ')}`);
  }
  return {
    entrypoint: stage.entrypoint ?? [],
    cmd: stage.cmd ?? null,
    user: stage.user ?? '',
    workdir: stage.workdir ?? '',
    env: stage.env,
    copies: stage.copies,
  };
}

/** The instructions, each with the line it starts on: comments and blank lines dropped, continued lines joined. */
function instructions(text: string, fail: (line: number, message: string) => never): Instruction[] {
  const lines = text.split('\n');
  const result: Instruction[] = [];
  let pending: { line: number; text: string } | undefined;
  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    if (/^\s*#\s*escape\s*=/i.test(raw) && result.length === 0 && !pending) {
      fail(line, 'the escape parser directive is not supported here');
    }
    if (/^\s*(#|$)/.test(raw)) continue; // as Docker does, also inside a continued instruction
    const continued = /\\[ \t]*$/.test(raw);
    const part = continued ? raw.replace(/\\[ \t]*$/, '') : raw;
    pending = pending ? { line: pending.line, text: pending.text + part } : { line, text: part };
    if (continued) continue;
    result.push(split(pending));
    pending = undefined;
  }
  if (pending) fail(pending.line, 'the last instruction ends in a line continuation');
  return result;
}

function split({ line, text }: { line: number; text: string }): Instruction {
  const match = /^\s*(\S+)\s*(.*?)\s*$/.exec(text) as RegExpExecArray;
  return { line, keyword: (match[1] as string).toUpperCase(), rest: match[2] as string };
}

/** ENTRYPOINT and CMD: the JSON (exec) form as written, the shell form run by /bin/sh -c, as Docker does. */
function argv(rest: string): string[] {
  if (rest.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(rest);
      if (Array.isArray(parsed) && parsed.every((word) => typeof word === 'string')) return parsed;
    } catch {
      // Not JSON: Docker takes it as the shell form too.
    }
  }
  return ['/bin/sh', '-c', rest];
}

/** ENV KEY=value [KEY=value...], values quoted as in the shell; the legacy `ENV KEY value` form is not read. */
function envPairs(rest: string, line: number, fail: (line: number, message: string) => never): string[] {
  const words = shellWords(rest, line, fail);
  if (words.length === 0) fail(line, 'ENV needs KEY=value');
  for (const word of words) {
    const key = word.slice(0, word.indexOf('='));
    if (!word.includes('=') || !ENV_KEY.test(key)) {
      fail(line, `write ENV as KEY=value (got ${JSON.stringify(word)})`);
    }
  }
  return words;
}

function setEnv(env: string[], pair: string): void {
  const key = pair.slice(0, pair.indexOf('=') + 1);
  const index = env.findIndex((existing) => existing.startsWith(key));
  if (index === -1) env.push(pair);
  else env[index] = pair;
}

/** Words split on blanks, with '…' literal, "…" and \ escaping the next character, quotes removed. */
function shellWords(text: string, line: number, fail: (line: number, message: string) => never): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (c === '\\') {
      const next = text[++i];
      if (next === undefined) fail(line, 'a trailing backslash');
      // Inside double quotes a backslash escapes only " and \ (and itself stays before anything else).
      word = (word ?? '') + (quote === '"' && next !== '"' && next !== '\\' ? `\\${next}` : next);
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote) fail(line, `an unclosed ${quote}`);
  if (word !== undefined) words.push(word);
  return words;
}

/** COPY [--from=STAGE] SOURCE... DESTINATION, or its JSON form. */
function copy(
  rest: string,
  line: number,
  fail: (line: number, message: string) => never,
  contextOnly: boolean,
): DockerfileCopy {
  let from = '';
  let args = rest;
  for (let option = /^--(\S+)\s*/.exec(args); option; option = /^--(\S+)\s*/.exec(args)) {
    const value = /^from=(\S+)$/.exec(option[1] as string)?.[1];
    if (!value) fail(line, `COPY --${option[1]} is not supported here (only --from=STAGE)`);
    if (contextOnly)
      fail(line, 'COPY --from is not supported for this image (it copies from its build context)');
    from = value as string;
    args = args.slice(option[0].length);
  }
  let words: string[];
  if (args.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(args);
    } catch {
      // Not JSON: checked below.
    }
    if (!Array.isArray(parsed) || !parsed.every((word) => typeof word === 'string')) {
      fail(line, 'COPY in JSON form takes an array of strings');
    }
    words = parsed as string[];
  } else {
    words = args.split(/\s+/).filter(Boolean);
  }
  if (words.length < 2) fail(line, 'COPY needs a source and a destination');
  return { from, sources: words.slice(0, -1), destination: words.at(-1) as string };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const flags = new Set(args.filter((arg) => arg.startsWith('--')));
  const files = args.filter((arg) => !arg.startsWith('--'));
  const unknown = [...flags].filter((flag) => flag !== '--context-only' && flag !== '--no-cmd');
  if (files.length !== 1 || unknown.length > 0) {
    console.error('usage: node hack/lib/dockerfile.ts [--context-only] [--no-cmd] <Dockerfile>');
    process.exit(2);
  }
  const file = files[0] as string;
  try {
    const contextOnly = flags.has('--context-only');
    const noCmd = flags.has('--no-cmd');
    const config = parseDockerfile(readFileSync(file, 'utf8'), { file, contextOnly, noCmd });
    // The JSON the build reads: without the fields its options rule out.
    const { cmd, copies, ...rest } = config;
    const out = {
      entrypoint: rest.entrypoint,
      ...(noCmd ? {} : { cmd }),
      user: rest.user,
      workdir: rest.workdir,
      env: rest.env,
      copies: contextOnly ? copies.map(({ from: _from, ...c }) => c) : copies,
    };
    console.log(JSON.stringify(out, null, 2));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
