// The text CPython will run, parsed the way CPython reads it. Both Python profiles judge this, never the raw
// request: a coding cookie, a byte-order mark or an f-string lezer reads differently would otherwise let the
// policy judge one program while the interpreter runs another.
import type { SyntaxNode, SyntaxNodeRef, Tree } from '@lezer/common';
import { parser } from '@lezer/python';
import { type PolicyFinding, type PolicyVerdict, tooComplexVerdict, verdictFrom } from '../types.ts';

export interface PythonSource {
  /** The program without its leading byte-order marks. */
  text: string;
  /** Offsets of the line starts in `text`; CPython ends lines at \n, \r\n and a lone \r alike. */
  lineStarts: number[];
  /** Byte-order marks removed from the start of line 1, added back to columns there. */
  line1Shift: number;
  /** Set when a coding cookie names anything but UTF-8: the text CPython decodes is not this one. */
  foreignEncoding: PolicyFinding | undefined;
}

// PEP 263 as CPython's tokenizer applies it: a comment on line 1, or on line 2 after a line 1 holding
// nothing but a comment or blanks, containing `coding[:=]` followed by the name.
const COOKIE = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;
const COMMENT_OR_BLANK = /^[ \t\f]*(?:#.*)?$/;

// The spellings under which CPython decodes a file as UTF-8: get_normal_name's `utf-8` and `utf-8-*`,
// then the codec registry's aliases of utf_8.
const UTF8_ALIASES = new Set(['utf_8', 'utf8', 'u8', 'utf', 'utf8_ucs2', 'utf8_ucs4', 'cp65001']);

/** Prepares a program for checking: byte-order marks removed, line starts known, its declared encoding judged. */
export function preparePython(source: string): PythonSource {
  let line1Shift = 0;
  // The API's base64 decoder strips one mark and CPython another; more than that is CPython's syntax error.
  while (source.charCodeAt(line1Shift) === 0xfeff) line1Shift++;
  const text = line1Shift === 0 ? source : source.slice(line1Shift);
  const lineStarts = lineStartsOf(text);
  return { text, lineStarts, line1Shift, foreignEncoding: foreignEncodingOf(text, lineStarts, line1Shift) };
}

function foreignEncodingOf(
  text: string,
  lineStarts: number[],
  line1Shift: number,
): PolicyFinding | undefined {
  for (let line = 0; line < 2 && line < lineStarts.length; line++) {
    const from = lineStarts[line] ?? 0;
    const to = line + 1 < lineStarts.length ? (lineStarts[line + 1] ?? text.length) : text.length;
    const content = text.slice(from, to).replace(/[\r\n]+$/, '');
    const cookie = COOKIE.exec(content);
    if (cookie?.[1] !== undefined) {
      if (isUtf8(cookie[1])) return undefined;
      return {
        line: line + 1,
        column: content.indexOf(cookie[1]) + 1 + (line === 0 ? line1Shift : 0),
        rule: 'source-encoding',
        message: `Source encoding '${cookie[1]}' declared: only UTF-8 programs are checked`,
      };
    }
    if (!COMMENT_OR_BLANK.test(content)) return undefined;
  }
  return undefined;
}

function isUtf8(name: string): boolean {
  const normal = name.toLowerCase().replaceAll('_', '-');
  if (normal === 'utf-8' || normal.startsWith('utf-8-')) return true;
  return UTF8_ALIASES.has(name.toLowerCase().replace(/[^a-z0-9.]+/g, '_'));
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (const match of text.matchAll(/\r\n?|\n/g)) starts.push(match.index + match[0].length);
  return starts;
}

/** 1-based line and column of an offset into the prepared text. */
export function positionOf(source: PythonSource, offset: number): { line: number; column: number } {
  const { lineStarts } = source;
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if ((lineStarts[middle] ?? 0) <= offset) low = middle;
    else high = middle - 1;
  }
  const column = offset - (lineStarts[low] ?? 0) + 1 + (low === 0 ? source.line1Shift : 0);
  return { line: low + 1, column };
}

export function findingAt(
  source: PythonSource,
  offset: number,
  rule: string,
  message: string,
): PolicyFinding {
  return { ...positionOf(source, offset), rule, message };
}

/**
 * The program as CPython will read it and its parse tree, or the verdict that ends every profile's check
 * before it starts: a foreign coding cookie is refused, a parse past its budget is too complex to check.
 */
export function readPython(
  program: string,
  budgetMs: number | undefined,
): { source: PythonSource; tree: Tree } | { verdict: PolicyVerdict } {
  const source = preparePython(program);
  if (source.foreignEncoding) return { verdict: verdictFrom([source.foreignEncoding]) };
  const tree = parsePython(source.text, budgetMs);
  if (!tree) return { verdict: tooComplexVerdict(`parsing took longer than ${budgetMs} ms`) };
  return { source, tree };
}

// Deeper than this, lezer's error recovery may cut the tree and drop code from it (right-nested conditionals
// are cut at depth ~700), so such a program is refused rather than half-checked. Honest programs stay far below.
const MAX_CHECKED_DEPTH = 500;

/**
 * Walks the tree depth first, calling `visit` on each node (false skips its children). Returns the offset of the
 * first node nested deeper than MAX_CHECKED_DEPTH, if any: a program the caller must refuse.
 */
export function walkWithinDepth(tree: Tree, visit: (node: SyntaxNodeRef) => boolean): number | undefined {
  let depth = 0;
  let tooDeepAt: number | undefined;
  // Lezer calls `leave` only for nodes whose `enter` did not return false.
  tree.iterate({
    enter: (node) => {
      if (!visit(node)) return false;
      depth++;
      if (depth > MAX_CHECKED_DEPTH) tooDeepAt ??= node.from;
      return true;
    },
    leave: () => void depth--,
  });
  return tooDeepAt;
}

/**
 * Lezer's parse of the prepared text, or undefined once it has run for `budgetMs` (its error recovery can be
 * slow). F-strings lezer reads differently from CPython 3.11 are rewritten first (see `alignFormatStrings`).
 */
export function parsePython(text: string, budgetMs: number | undefined): Tree | undefined {
  const deadline = budgetMs === undefined ? undefined : performance.now() + budgetMs;
  let current = text;
  for (let round = 0; ; round++) {
    const tree = parseUntil(current, deadline);
    if (tree === undefined || round === 4) return tree;
    const aligned = alignFormatStrings(current, tree);
    if (aligned === current) return tree;
    current = aligned;
  }
}

function parseUntil(text: string, deadline: number | undefined): Tree | undefined {
  if (deadline === undefined) return parser.parse(text);
  const parse = parser.startParse(text);
  for (let steps = 1; ; steps++) {
    const tree = parse.advance();
    if (tree) return tree;
    if (steps % 256 === 0 && performance.now() > deadline) return undefined;
  }
}

/**
 * CPython 3.11 starts a replacement field at every undoubled `{` of an f-string, backslash or not
 * (`f"\{exec(s)}"` runs exec), while lezer reads `\{` as an escape and, in raw f-strings, as text.
 * The backslash before such a brace becomes a space, of the same length, so the next parse sees the field.
 */
function alignFormatStrings(text: string, tree: Tree): string {
  // Most programs have no `\{` at all: no need to walk the tree for their f-strings.
  if (!text.includes('\\{')) return text;
  const backslashes: number[] = [];
  tree.iterate({
    enter(node) {
      if (node.name !== 'FormatString') return true;
      const body = text.slice(node.from, node.to);
      for (const match of body.matchAll(/\\\{(?!\{)/g)) backslashes.push(node.from + match.index);
      return true;
    },
  });
  if (backslashes.length === 0) return text;
  const chars = text.split('');
  for (const at of backslashes) chars[at] = ' ';
  return chars.join('');
}

/** CPython reads identifiers NFKC-normalised: `ｅｘｅｃ` is `exec` and `import ｏｓ` imports os. */
export function identifier(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range itself
  return /^[\x00-\x7f]*$/.test(text) ? text : text.normalize('NFKC');
}

export function childrenOf(node: SyntaxNode): SyntaxNode[] {
  const children: SyntaxNode[] = [];
  for (let child = node.firstChild; child !== null; child = child.nextSibling) children.push(child);
  return children;
}

/** One clause of an import statement: `a.b as c` → path ['a', 'b'], alias 'c'. */
export interface ImportClause {
  path: string[];
  alias: string | undefined;
  /** Offset of the first name of the path. */
  at: number;
  /** Offset of the name this clause binds. */
  bindingAt: number;
}

export interface ParsedImport {
  /** `from` imports: the module (dots of a relative import included, as leading empty segments). */
  from: { path: string[]; level: number; at: number } | undefined;
  clauses: ImportClause[];
  /** `from x import *`. */
  star: boolean;
}

/** Reads `import a.b as c, d` and `from ..a import (b as c, d)` off lezer's flat ImportStatement. */
export function parseImport(text: string, statement: SyntaxNode): ParsedImport {
  const parts = childrenOf(statement);
  const name = (node: SyntaxNode) => identifier(text.slice(node.from, node.to));
  if (parts[0]?.name !== 'from') {
    return { from: undefined, clauses: clausesOf(parts.slice(1), name), star: false };
  }
  const importAt = parts.findIndex((part) => part.name === 'import');
  const head = importAt === -1 ? parts.slice(1) : parts.slice(1, importAt);
  let level = 0;
  const path: string[] = [];
  for (const part of head) {
    const dots = text.slice(part.from, part.to);
    if (part.name === 'VariableName') path.push(name(part));
    // Dots before the first name make the import relative; dots after it separate the module's names.
    else if (path.length === 0 && /^\.+$/.test(dots)) level += dots.length;
  }
  const tail = importAt === -1 ? [] : parts.slice(importAt + 1);
  return {
    from: { path, level, at: head[0]?.from ?? statement.from },
    clauses: clausesOf(tail, name),
    star: tail.some((part) => part.name === '*'),
  };
}

function clausesOf(parts: SyntaxNode[], name: (node: SyntaxNode) => string): ImportClause[] {
  const clauses: ImportClause[] = [];
  let current: SyntaxNode[] = [];
  const flush = () => {
    const asAt = current.findIndex((part) => part.name === 'as');
    const path = (asAt === -1 ? current : current.slice(0, asAt)).filter((p) => p.name === 'VariableName');
    const aliasNode = asAt === -1 ? undefined : current[asAt + 1];
    const [first] = path;
    if (first !== undefined) {
      clauses.push({
        path: path.map(name),
        alias: aliasNode === undefined ? undefined : name(aliasNode),
        at: first.from,
        bindingAt: (aliasNode ?? first).from,
      });
    }
    current = [];
  };
  for (const part of parts) {
    if (part.name === ',') flush();
    else if (part.name === 'VariableName' || part.name === 'as') current.push(part);
  }
  flush();
  return clauses;
}

/**
 * The value of a Python string literal (prefix, quotes and escapes resolved), or undefined for bytes with
 * escapes it cannot resolve. `\N{...}` names other than the low line are not resolved.
 */
export function stringValue(literal: string): string | undefined {
  const prefix = /^[a-zA-Z]*/.exec(literal)?.[0] ?? '';
  const rest = literal.slice(prefix.length);
  const quote = rest.startsWith('"""') || rest.startsWith("'''") ? rest.slice(0, 3) : rest.slice(0, 1);
  if (quote === '' || !rest.endsWith(quote) || rest.length < quote.length * 2) return undefined;
  const body = rest.slice(quote.length, rest.length - quote.length);
  if (/r/i.test(prefix)) return body;
  return unescapePython(body);
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\n': '',
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

function unescapePython(body: string): string | undefined {
  let unresolved = false;
  const value = body.replace(
    /\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([0-7]{1,3})|N\{([^}]*)\}|(\r\n|[\s\S]))/g,
    (whole, hex2, hex4, hex8, octal, named: string | undefined, other: string | undefined) => {
      const code = hex2 ?? hex4 ?? hex8;
      if (code !== undefined) return String.fromCodePoint(Number.parseInt(code, 16));
      if (octal !== undefined) return String.fromCodePoint(Number.parseInt(octal, 8));
      if (named !== undefined) {
        const upper = named.toUpperCase();
        if (upper === 'LOW LINE' || upper === 'SPACING UNDERSCORE') return '_';
        unresolved = true;
        return whole;
      }
      if (other === '\r\n') return '';
      return other !== undefined && Object.hasOwn(SIMPLE_ESCAPES, other)
        ? (SIMPLE_ESCAPES[other] ?? '')
        : whole;
    },
  );
  return unresolved ? undefined : value;
}
