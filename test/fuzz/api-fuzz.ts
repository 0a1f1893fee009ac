// Hostile-input fuzz of the API's HTTP layer: the real server (buildServer) on a real loopback socket, fed
// generated malformed requests on every route and method through raw TCP (so request lines, framing, bytes and
// aborts are ours to break). Passes when no answer is a 5xx, every complete request is answered within the
// timeout, every 4xx has its API's error shape, nothing is logged as an unhandled error, and the server still
// serves afterwards (and closes without a leftover connection).
//
// The run service is an in-memory stand-in (a `RunServiceSeam`): this fuzz is about the HTTP layer, not
// Kubernetes, so the stand-in answers at once. It also checks what reaches it: a submission or run name
// that validation should have refused makes it throw, which surfaces as a 5xx.
//
// Run: make fuzz (FUZZ_SEED=<n> repeats a run; FUZZ_REQUESTS=<n>, default 10000).
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { createMetrics } from '../../src/api/metrics.ts';
import {
  newRunName,
  type RunServiceSeam,
  type Submission,
  type SubmitOutcome,
  type Wait,
} from '../../src/api/run-service.ts';
import { buildServer } from '../../src/api/server.ts';
import { BUILTIN_LANGUAGES, type CodeRun, LIMITS } from '../../src/coderun/schema.ts';
import { loadApiConfig } from '../../src/config/api.ts';
import { fixedRuntimes } from '../../src/runtimes/catalog.ts';
import { makeRun, testRuntimes } from '../fixtures.ts';

export const TOKEN = 'fuzz-token-0123456789abcdef0123456789abcdef';
const MiB = 2 ** 20;
const KUBE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

// ---------------------------------------------------------------------------------------------------
// Seeded randomness (mulberry32): the same seed generates the same requests in the same order.

export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

// ---------------------------------------------------------------------------------------------------
// The stand-in run service

function assertSubmission(sub: Submission): void {
  const ok =
    (BUILTIN_LANGUAGES as readonly string[]).includes(sub.language) &&
    typeof sub.source === 'string' &&
    sub.source.length <= LIMITS.sourceMaxChars &&
    sub.arguments !== null &&
    typeof sub.arguments === 'object' &&
    !Array.isArray(sub.arguments) &&
    (sub.timeoutSeconds === undefined ||
      (Number.isInteger(sub.timeoutSeconds) &&
        sub.timeoutSeconds >= 1 &&
        sub.timeoutSeconds <= LIMITS.timeoutMaxSeconds));
  if (!ok) throw new Error(`an invalid submission reached the run service: ${JSON.stringify(sub)}`);
}

function assertName(name: string): void {
  if (!KUBE_NAME.test(name)) throw new Error(`an invalid run name reached the run service: ${name}`);
}

const notFound = (name: string) => Object.assign(new Error(`coderuns "${name}" not found`), { code: 404 });

/** Answers at once: runs succeed, names starting "run-0000" exist, others are not found. */
export class InstantRunService implements RunServiceSeam {
  inFlight = 0;

  async submit(sub: Submission, wait: Wait, signal: AbortSignal): Promise<SubmitOutcome> {
    assertSubmission(sub);
    if (sub.source.includes('import os'))
      return {
        kind: 'rejected',
        findings: [{ line: 1, column: 1, rule: 'import-blocked-module', message: "Import of 'os'" }],
      };
    const name = newRunName();
    assertName(name);
    const run = makeRun(
      { language: sub.language, source: sub.source, arguments: sub.arguments },
      undefined,
      name,
    );
    if (wait.until === 'outcome') return { kind: 'finished', run: this.finished(run) };
    if (wait.ms === 0) return { kind: 'unfinished', run };
    await new Promise(setImmediate);
    return signal.aborted ? { kind: 'unfinished', run } : { kind: 'finished', run: this.finished(run) };
  }
  async get(name: string): Promise<CodeRun> {
    assertName(name);
    if (!name.startsWith('run-0000')) throw notFound(name);
    return this.finished(makeRun({}, undefined, name));
  }
  async delete(name: string): Promise<void> {
    assertName(name);
    if (!name.startsWith('run-0000')) throw notFound(name);
  }
  private finished(run: CodeRun): CodeRun {
    return {
      ...run,
      status: {
        phase: 'Succeeded',
        reason: 'Completed',
        exitCode: 0,
        stdout: 'ok\n',
        result: { present: true, value: 1 },
      },
    };
  }
}

/**
 * The real API server over the stand-in; `env` as loadApiConfig reads it. Errors the server logs go to
 * `onError` (one JSON line each), so a test can fail on them.
 */
export async function standInServer(env: Record<string, string>, onError: (line: string) => void = () => {}) {
  const service = new InstantRunService();
  const deps = {
    config: loadApiConfig({ ...env, CODERUN_API_HOST: '127.0.0.1', CODERUN_API_PORT: '0' }),
    service,
    runtimes: fixedRuntimes(testRuntimes()),
    store: null,
    metrics: createMetrics(() => service.inFlight),
    ready: async () => ({ ok: true }),
    live: () => ({ ok: true }),
    log: pino({ level: 'error' }, { write: onError }),
  };
  const app = await buildServer(deps);
  return { app, service };
}

// ---------------------------------------------------------------------------------------------------
// Request generation

/** The error shape a 4xx must have: RAGFlow's on POST /run, the problem body everywhere else. */
type Shape = 'ragflow' | 'problem';

export interface Probe {
  route: string;
  head: Buffer;
  body: Buffer;
  /** Destroy the socket after this many body bytes (an aborted upload): no answer is expected. */
  abortAfter?: number;
  shape: Shape;
  isHead: boolean;
}

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

const ROUTES = [
  { name: 'POST /run', method: 'POST', path: '/run', body: 'ragflow' },
  { name: 'POST /v1/runs', method: 'POST', path: '/v1/runs', body: 'native' },
  { name: 'GET /v1/runs/{name}', method: 'GET', path: '/v1/runs/{name}', body: null },
  { name: 'DELETE /v1/runs/{name}', method: 'DELETE', path: '/v1/runs/{name}', body: null },
  { name: 'GET /healthz', method: 'GET', path: '/healthz', body: null },
  { name: 'GET /', method: 'GET', path: '/', body: null },
  { name: 'GET /readyz', method: 'GET', path: '/readyz', body: null },
  { name: 'GET /metrics', method: 'GET', path: '/metrics', body: null },
  { name: 'GET /openapi.json', method: 'GET', path: '/openapi.json', body: null },
] as const;
export const ROUTE_NAMES = ROUTES.map((r) => r.name);

const METHODS = [
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'PROPFIND',
  'SEARCH',
  'QUERY',
  'FOO',
  'BREW',
  'post',
  'G\x00T',
  'CONNECT',
];

const PROGRAMS = [
  'def main():\n    return 1\n',
  'print("hi")',
  '',
  'import os\n',
  'x = "\u00e9\u4e2d\ud83d\ude00"',
];
const LANGUAGE_VALUES = [
  'python',
  'nodejs',
  'js',
  'PY',
  ' node ',
  'ruby',
  '',
  'python\u0000',
  '\u00ff',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
];
const HOSTILE_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  '',
  ' ',
  'x',
  '\u0000',
  '\ud800',
  [],
  [1, 'a'],
  {},
  { a: { b: [null] } },
  'A'.repeat(70_000),
  '__proto__',
];
const BAD_BASE64 = [
  'eA=',
  'eA',
  'e A==',
  'eA==\n',
  '====',
  'eA==eA==',
  '-_-_',
  '\u00ff\u00fe==',
  b64(Buffer.from([0xff, 0xfe, 0x41])),
  b64(Buffer.from([0xed, 0xa0, 0x80])),
  b64(Buffer.from([0xc0, 0x80])),
  b64(Buffer.alloc(16)),
];
const CONTENT_TYPES: (string | null)[] = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json;charset=latin1',
  'application/json, text/plain',
  'application/json; boundary=',
  'application/vnd.api+json',
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  '*/*',
  '',
  ';',
  'application/\u00ffjson',
  `application/json; x=${'a'.repeat(8000)}`,
  null,
];
const PATH_TRICKS = [
  '/v1/runs/../run',
  '/v1/runs/..',
  '/v1/runs/.',
  '/v1/runs/%2e%2e',
  '/v1/runs/..%2Frun',
  '/v1/runs/%2E%2E%2F%2E%2E%2Fapi',
  '/v1/runs/%2F',
  '/v1/runs/',
  '/v1/runs//',
  '/v1//runs',
  '/v1/runs/a%00b',
  '/v1/runs/%00',
  '/v1/runs/%ZZ',
  '/v1/runs/%',
  '/v1/runs/%F0%9F%98%80',
  '/v1/runs/%C0%AF',
  '/v1/runs/RUN-ABC',
  '/v1/runs/-a-',
  '/v1/runs/a;b=c',
  `/v1/runs/${'a'.repeat(253)}`,
  `/v1/runs/${'a'.repeat(254)}`,
  `/v1/runs/${'a'.repeat(5000)}`,
  `/v1/runs/${'a/'.repeat(3000)}`,
  `/${'x'.repeat(15_000)}`,
  `/${'x'.repeat(70_000)}`,
  '/v1',
  '/v1/',
  '/v1/nope',
  '/v1/runs/run-1/extra',
  '/run/',
  '//run',
  '/RUN',
  '/run%00',
  '/run/../run',
  '/./run',
  '/run#x',
  '/healthz/..',
  '/%2e/run',
  'http://127.0.0.1/run',
  '*',
  '/run\u00ff',
  '/v1/runs/\u00e9',
  '/v1/runs/a b',
];
const QUERIES = [
  'wait=',
  'wait=-1',
  'wait=abc',
  'wait=1e309',
  'wait=Infinity',
  'wait=NaN',
  'wait=0x10',
  'wait=3601',
  'wait=1',
  'wait=0',
  'wait=0.001',
  'wait=%00',
  'wait=%',
  'wait[]=1',
  'wait=1&wait=2',
  'wait[a]=1',
  '__proto__=1&constructor=x&prototype=y',
  '__proto__[wait]=1',
  `wait=${'9'.repeat(400)}`,
  `a=${'b'.repeat(8000)}`,
  'a=1&'.repeat(2000),
  `x=${'y'.repeat(80_000)}`,
];

function randomArguments(rng: Rng): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = rng.int(4); i > 0; i--) out[`k${rng.int(100)}`] = rng.pick(HOSTILE_VALUES.slice(0, 17));
  return out;
}

function validBody(kind: 'ragflow' | 'native', rng: Rng): Record<string, unknown> {
  const program = rng.pick(PROGRAMS);
  return kind === 'ragflow'
    ? { code_b64: b64(program), language: rng.pick(['python', 'nodejs']), arguments: randomArguments(rng) }
    : {
        language: rng.pick(['python', 'nodejs']),
        source: program,
        arguments: randomArguments(rng),
        ...(rng.chance(0.5) ? { timeoutSeconds: 1 + rng.int(60) } : {}),
      };
}

function nested(rng: Rng): string {
  const depth = rng.pick([100, 5_000, 50_000, 400_000]);
  return rng.chance(0.5)
    ? `${'['.repeat(depth)}1${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** A request body: valid, a valid one with one field broken, or hostile as a whole. */
function makeBody(kind: 'ragflow' | 'native', rng: Rng): Buffer {
  const body = validBody(kind, rng);
  const fields = Object.keys(body);
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));
  switch (rng.int(16)) {
    case 0:
    case 1:
      return json(body);
    case 2: {
      const field = rng.pick([...fields, 'code_b64', 'source', 'timeoutSeconds']);
      return json({ ...body, [field]: rng.pick(HOSTILE_VALUES) });
    }
    case 3: {
      const copy: Record<string, unknown> = { ...body };
      delete copy[rng.pick(fields)];
      return json(copy);
    }
    case 4:
      return json({ ...body, code_b64: rng.pick(BAD_BASE64), language: rng.pick(LANGUAGE_VALUES) });
    case 5:
      return Buffer.from(
        rng.pick([
          'null',
          '[]',
          '"x"',
          '1',
          'true',
          '{}',
          '',
          ' ',
          '{',
          '{"code_b64":',
          '[1,2',
          '{"a":1}}',
          "{'a':1}",
          '{"a":NaN}',
          '{"a":1,}',
          'nul',
          '\u0000',
          '\ufeff{}',
          '{"code_b64":"eA==","code_b64":null,"source":"1","source":[]}',
          '{"language":"python","language":"python","source":"x","code_b64":"eA==","code_b64":"eA=="}',
        ]),
      );
    case 6: {
      const key = rng.pick(['__proto__', 'constructor', 'prototype']);
      const raw = JSON.stringify(body).slice(0, -1);
      const inner = rng.pick([
        `"${key}":{"language":"ruby","polluted":true}`,
        `"${key}":{"prototype":{"polluted":true}}`,
        `"arguments":{"${key}":{"polluted":1},"constructor":{"prototype":{"x":1}}}`,
      ]);
      return Buffer.from(`${raw},${inner}}`);
    }
    case 7:
      return rng.chance(0.5)
        ? Buffer.from(`{"code_b64":"${'A'.repeat(3 * MiB)}","source":"1"}`)
        : Buffer.concat([Buffer.from('{"source":"'), rng.bytes(3 * MiB), Buffer.from('"}')]);
    case 8:
      return Buffer.from(`{"code_b64":"","source":"","language":"python","arguments":${nested(rng)}}`);
    case 9:
      return Buffer.from(nested(rng));
    case 10:
      return Buffer.concat([
        Buffer.from('{"code_b64":"'),
        Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]),
        Buffer.from('","source":"\xff","language":"py'),
        Buffer.from([0x80]),
        Buffer.from('"}'),
      ]);
    case 11:
      return rng.bytes(1 + rng.int(4096));
    case 12:
      return json({ ...body, source: 'x'.repeat(LIMITS.sourceMaxChars + rng.int(2)) });
    case 13:
      return json({ ...body, timeoutSeconds: rng.pick([0, -5, 0.5, 3601, 1e9, '10', null, [10]]) });
    case 14:
      return json({ ...body, arguments: rng.pick([[1, 2], 'x', 5, true, { a: 'A'.repeat(1000) }, null]) });
    default:
      return Buffer.from(
        `${JSON.stringify(body).slice(0, -1)},"extra":${JSON.stringify(randomArguments(rng))}}`,
      );
  }
}

/** Mostly the right token, so most requests get past authentication to the parsers and handlers. */
function authHeaders(rng: Rng): string[] {
  if (rng.chance(0.5))
    return rng.chance(0.8) ? [`Authorization: Bearer ${TOKEN}`] : [`X-Sandbox-Token: ${TOKEN}`];
  return rng.pick([
    [],
    ['Authorization: Bearer'],
    ['Authorization: Bearer '],
    ['Authorization: Basic dXNlcjpwYXNz'],
    ['Authorization: Bearer wrong'],
    [`Authorization: bearer ${TOKEN}`],
    [`Authorization: Bearer ${TOKEN} extra`],
    [`Authorization: Bearer ${'t'.repeat(10_000)}`],
    [`Authorization: Bearer ${TOKEN}\u00ff`],
    [`Authorization: Bearer ${TOKEN}`, 'Authorization: Bearer wrong'],
    ['Authorization: Bearer wrong', `X-Sandbox-Token: ${TOKEN}`],
    ['X-Sandbox-Token:    '],
    [`X-Sandbox-Token: ${TOKEN}`, 'X-Sandbox-Token: other'],
  ]);
}

export function makeProbe(rng: Rng): Probe {
  const route = rng.pick(ROUTES);
  let method: string = rng.chance(0.85) ? route.method : rng.pick(METHODS);
  let path: string = route.path.replace(
    '{name}',
    rng.pick(['run-000000000001', `run-${rng.int(1e9).toString(16)}`, 'x']),
  );
  if (rng.chance(0.15)) {
    path = rng.pick(PATH_TRICKS);
  }
  if (rng.chance(0.15)) path += `?${rng.pick(QUERIES)}`;
  else if (route.path === '/v1/runs' && rng.chance(0.3)) path += `?wait=${rng.pick(['1', '0', '5'])}`;

  const bodyKind = route.body ?? (rng.chance(0.2) ? rng.pick(['ragflow', 'native'] as const) : null);
  let body = bodyKind ? makeBody(bodyKind, rng) : Buffer.alloc(0);
  const headers = [`Host: 127.0.0.1`, ...authHeaders(rng)];
  const contentType = bodyKind ? (rng.chance(0.75) ? 'application/json' : rng.pick(CONTENT_TYPES)) : null;
  if (contentType !== null) headers.push(`Content-Type: ${contentType}`);

  let abortAfter: number | undefined;
  const framing = rng.int(20);
  if (framing === 0 && body.length > 0) {
    // Chunked, sometimes with a broken chunk size.
    headers.push('Transfer-Encoding: chunked');
    const size = rng.chance(0.8) ? body.length.toString(16) : 'zz';
    body = Buffer.concat([Buffer.from(`${size}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
  } else if (framing === 1) {
    // Both Content-Length and Transfer-Encoding (request smuggling shape).
    headers.push(`Content-Length: ${body.length}`, 'Transfer-Encoding: chunked');
  } else if (framing === 2) {
    // An upload the client abandons half way.
    headers.push(`Content-Length: ${body.length + 100_000}`);
    abortAfter = rng.int(body.length + 1);
  } else if (framing === 3) {
    // Malformed or oddly written lengths, never one larger than the body: that is a stalled upload, which
    // the server answers only at its request timeout (aborted uploads are the case above).
    const n = body.length;
    headers.push(
      `Content-Length: ${rng.pick(['-1', 'abc', '1e3', '99999999999999999999', ` ${n}`, `${n}, ${n}`, `+${n}`, `0x${n.toString(16)}`])}`,
    );
  } else {
    if (body.length > 0 || method === 'POST' || rng.chance(0.2))
      headers.push(`Content-Length: ${body.length}`);
    if (framing === 4) headers.push('Expect: 100-continue');
    if (framing === 5) headers.push('Content-Encoding: gzip');
    if (framing === 6) for (let i = 0; i < 150; i++) headers.push(`X-Junk-${i}: ${'j'.repeat(rng.int(200))}`);
    if (framing === 7) headers.push(`X-Big: ${'b'.repeat(20_000)}`);
    if (framing === 8) headers.push('X-Bytes: \u00ff\u00fe');
    if (framing === 9)
      headers.push('Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: eA==');
    if (framing === 10) headers.push('Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA');
  }
  headers.push(
    framing === 9 || framing === 10
      ? 'Connection: Upgrade'
      : rng.chance(0.9)
        ? 'Connection: close'
        : 'Connection: keep-alive',
  );
  if (rng.chance(0.01)) method = '';

  const requestLine = `${method} ${path} HTTP/1.1`;
  const head = Buffer.from(`${requestLine}\r\n${headers.join('\r\n')}\r\n\r\n`, 'latin1');
  // The path fastify routes on: absolute-form target and fragment stripped.
  const bare = path.replace(/^http:\/\/[^/]*/, '').split(/[?#]/)[0] ?? '';
  const shape: Shape = method === 'POST' && bare === '/run' ? 'ragflow' : 'problem';
  return {
    route: route.name,
    head,
    body,
    ...(abortAfter === undefined ? {} : { abortAfter }),
    shape,
    isHead: method === 'HEAD',
  };
}

// ---------------------------------------------------------------------------------------------------
// Sending over raw TCP

export interface Answer {
  status: number | null;
  headers: Record<string, string>;
  body: Buffer;
  outcome: 'answered' | 'hang' | 'closed' | 'aborted';
}

/** Splits one HTTP/1.1 response (after any 100 Continue) once it is complete; null while incomplete. */
function parseResponse(data: Buffer, isHead: boolean, ended: boolean): Omit<Answer, 'outcome'> | null {
  let offset = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', offset);
    if (end < 0) return null;
    const lines = data.subarray(offset, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? Number.NaN);
    if (Number.isNaN(status)) return { status: -1, headers: {}, body: data };
    if (status === 100) {
      offset = end + 4;
      continue;
    }
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const rest = data.subarray(end + 4);
    if (isHead || status === 204 || status === 304) return { status, headers, body: Buffer.alloc(0) };
    if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      return rest.length >= length ? { status, headers, body: rest.subarray(0, length) } : null;
    }
    if (headers['transfer-encoding']?.includes('chunked')) {
      if (rest.indexOf('0\r\n\r\n') < 0 && !ended) return null;
      const chunks: Buffer[] = [];
      let at = 0;
      for (;;) {
        const eol = rest.indexOf('\r\n', at);
        const size = eol < 0 ? 0 : Number.parseInt(rest.subarray(at, eol).toString(), 16);
        if (!size) break;
        chunks.push(rest.subarray(eol + 2, eol + 2 + size));
        at = eol + 2 + size + 2;
      }
      return { status, headers, body: Buffer.concat(chunks) };
    }
    return ended ? { status, headers, body: rest } : null;
  }
}

export function send(port: number, probe: Probe, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (outcome: Answer['outcome'], ended: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const parsed = parseResponse(Buffer.concat(chunks), probe.isHead, true);
      if (outcome === 'aborted')
        return resolve({ status: null, headers: {}, body: Buffer.alloc(0), outcome });
      if (parsed) return resolve({ ...parsed, outcome: 'answered' });
      resolve({ status: null, headers: {}, body: Buffer.alloc(0), outcome: ended ? 'closed' : 'hang' });
    };
    const timer = setTimeout(() => finish('hang', false), timeoutMs);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      if (parseResponse(Buffer.concat(chunks), probe.isHead, false)) finish('answered', true);
    });
    socket.on('end', () => finish('answered', true));
    socket.on('close', () => finish('answered', true));
    // The server may answer (413, 401) and close before it read the whole body: the answer still counts.
    socket.on('error', () => finish('answered', true));
    socket.on('connect', () => {
      if (probe.abortAfter !== undefined) {
        socket.write(Buffer.concat([probe.head, probe.body.subarray(0, probe.abortAfter)]), () => {
          setTimeout(() => finish('aborted', false), 5);
        });
        return;
      }
      socket.write(Buffer.concat([probe.head, probe.body]));
    });
  });
}

// ---------------------------------------------------------------------------------------------------
// Checks of what came back

/**
 * Every 4xx must carry an error shape that says what was wrong: RAGFlow's on /run, the problem body elsewhere.
 * What is refused before routing (the HTTP parser, an undecodable URL) has the problem body on every path.
 */
export function shapeProblem(probe: Probe, answer: Answer): string | null {
  const status = answer.status ?? 0;
  if (probe.isHead || status < 400 || status >= 500) return null;
  let body: unknown;
  try {
    body = JSON.parse(answer.body.toString('utf8'));
  } catch {
    return `${status} body is not JSON: ${answer.body.toString().slice(0, 200)}`;
  }
  const o = (body ?? {}) as Record<string, unknown>;
  const problem = typeof o.error === 'string' && typeof o.message === 'string' && o.message.length > 0;
  if (probe.shape !== 'ragflow') return problem ? null : `${status} without the problem shape`;
  const ragflow =
    typeof o.detail === 'string' ||
    (Array.isArray(o.detail) && o.detail.length > 0) ||
    (o.exit_code === -429 && typeof o.stderr === 'string');
  const beforeRouting = [400, 408, 414, 431].includes(status) && problem;
  return ragflow || beforeRouting ? null : `${status} from /run without RAGFlow's shape`;
}

// ---------------------------------------------------------------------------------------------------
// Phases and the report

interface Phase {
  name: string;
  share: number;
  env: Record<string, string>;
  /** What a valid /run with the token answers in this phase when all is well. */
  healthyRunStatus: number;
}

const PHASES: Phase[] = [
  {
    // Limits raised so hostile requests reach the handlers instead of being turned away at 429.
    name: 'limits raised',
    share: 0.8,
    env: {
      SANDBOX_EXECUTOR_MANAGER_API_TOKEN: TOKEN,
      SANDBOX_RUN_PREAUTH_RATE_LIMIT: '1000000/minute',
      SANDBOX_RUN_RATE_LIMIT: '1000000/minute',
      CODERUN_MAX_INFLIGHT: '10000',
    },
    healthyRunStatus: 200,
  },
  {
    name: 'default limits',
    share: 0.15,
    env: { SANDBOX_EXECUTOR_MANAGER_API_TOKEN: TOKEN },
    healthyRunStatus: 200,
  },
  { name: 'no token configured', share: 0.05, env: {}, healthyRunStatus: 503 },
];

export interface PhaseReport {
  name: string;
  requests: number;
  answered: number;
  aborted: number;
  closedUnanswered: number;
  serverErrors: number;
  hangs: number;
  offShape: number;
  errorsLogged: number;
  healthy: boolean;
  health: string;
}

export interface FuzzReport {
  seed: number;
  requests: number;
  phases: PhaseReport[];
  byStatus: Map<number, number>;
  byRoute: Map<string, { requests: number; serverErrors: number }>;
  /** Up to a few examples of each kind of failure, to reproduce by hand. */
  examples: string[];
  ok: boolean;
}

const healthyRun = (token: string) => {
  const body = Buffer.from(
    JSON.stringify({ code_b64: b64('def main():\n    return 1\n'), language: 'python' }),
  );
  return {
    route: 'POST /run',
    head: Buffer.from(
      `POST /run HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    ),
    body,
    shape: 'ragflow' as const,
    isHead: false,
  };
};
const getHealthz: Probe = {
  route: 'GET /healthz',
  head: Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
  body: Buffer.alloc(0),
  shape: 'problem',
  isHead: false,
};

/** A valid /run answers as the phase expects, with RAGFlow's success body when that is 200. */
async function checkHealth(port: number, phase: Phase): Promise<string | null> {
  const health = await send(port, getHealthz, 10_000);
  if (health.status !== 200) return `GET /healthz answered ${health.status ?? health.outcome}`;
  const run = await send(port, healthyRun(TOKEN), 10_000);
  if (run.status !== phase.healthyRunStatus)
    return `a valid /run answered ${run.status ?? run.outcome}, expected ${phase.healthyRunStatus}: ${run.body.toString().slice(0, 200)}`;
  if (run.status === 200) {
    const body = JSON.parse(run.body.toString()) as { status?: string; result?: { value?: unknown } };
    if (body.status !== 'success' || body.result?.value !== 1)
      return `a valid /run answered ${run.body.toString().slice(0, 200)}`;
  }
  return null;
}

async function runPhase(
  phase: Phase,
  count: number,
  rng: Rng,
  report: FuzzReport,
  opts: { concurrency: number; timeoutMs: number },
): Promise<PhaseReport> {
  const logged: string[] = [];
  const { app } = await standInServer(phase.env, (line) => logged.push(line));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const result: PhaseReport = {
    name: phase.name,
    requests: 0,
    answered: 0,
    aborted: 0,
    closedUnanswered: 0,
    serverErrors: 0,
    hangs: 0,
    offShape: 0,
    errorsLogged: 0,
    healthy: false,
    health: '',
  };
  const seen = new Map<string, number>();
  const example = (kind: string, text: string) => {
    const n = seen.get(kind) ?? 0;
    seen.set(kind, n + 1);
    if (n < 4) report.examples.push(`[${phase.name}] ${kind}: ${text}`);
  };
  try {
    // RAGFlow was already working before the onslaught, as it would be in production.
    const before = await checkHealth(port, phase);
    if (before) throw new Error(`the server was not healthy before the fuzz: ${before}`);
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next++;
        const probe = makeProbe(rng);
        const answer = await send(port, probe, opts.timeoutMs);
        const request = `${probe.head.toString('latin1').split('\r\n')[0]?.slice(0, 120)} (body ${probe.body.length} bytes)`;
        result.requests++;
        const route = report.byRoute.get(probe.route) ?? { requests: 0, serverErrors: 0 };
        route.requests++;
        report.byRoute.set(probe.route, route);
        if (answer.outcome === 'aborted') result.aborted++;
        else if (answer.outcome === 'hang') {
          result.hangs++;
          example(
            'hang',
            JSON.stringify(Buffer.concat([probe.head, probe.body]).toString('latin1').slice(0, 1500)),
          );
        } else if (answer.status === null) {
          result.closedUnanswered++;
          example('closed without an answer', request);
        } else {
          result.answered++;
          report.byStatus.set(answer.status, (report.byStatus.get(answer.status) ?? 0) + 1);
          if (answer.status >= 500 && !(phase.healthyRunStatus === 503 && answer.status === 503)) {
            result.serverErrors++;
            route.serverErrors++;
            example(String(answer.status), `${request} -> ${answer.body.toString().slice(0, 200)}`);
          }
          const off = shapeProblem(probe, answer);
          if (off) {
            result.offShape++;
            example('off-shape', `${off}: ${request} -> ${answer.body.toString().slice(0, 200)}`);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    const after = await checkHealth(port, phase);
    result.healthy = after === null;
    result.health = after ?? 'healthy';
  } finally {
    // A connection the server never lets go (nobody reads it) keeps close() waiting: a leak worth failing.
    const closing = app.close();
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      closing.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), opts.timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!closed) {
      result.healthy = false;
      result.health = `the server did not close within ${opts.timeoutMs} ms: a connection was left open`;
      app.server.closeAllConnections();
      await closing;
    }
  }
  result.errorsLogged = logged.length;
  for (const line of logged) example('logged', line.slice(0, 400));
  return result;
}

export async function fuzzApi(opts: {
  seed: number;
  requests: number;
  concurrency?: number;
  timeoutMs?: number;
}): Promise<FuzzReport> {
  const rng = new Rng(opts.seed);
  const report: FuzzReport = {
    seed: opts.seed,
    requests: 0,
    phases: [],
    byStatus: new Map(),
    byRoute: new Map(),
    examples: [],
    ok: false,
  };
  let left = opts.requests;
  for (const [i, phase] of PHASES.entries()) {
    const count = i === PHASES.length - 1 ? left : Math.round(opts.requests * phase.share);
    left -= count;
    report.phases.push(
      await runPhase(phase, count, rng, report, {
        concurrency: opts.concurrency ?? 16,
        timeoutMs: opts.timeoutMs ?? 10_000,
      }),
    );
  }
  report.requests = report.phases.reduce((n, p) => n + p.requests, 0);
  report.ok = report.phases.every(
    (p) => p.serverErrors === 0 && p.hangs === 0 && p.offShape === 0 && p.errorsLogged === 0 && p.healthy,
  );
  return report;
}

export function formatReport(report: FuzzReport): string {
  const row = (cells: (string | number)[], widths: number[]) =>
    cells
      .map((c, i) => (i === 0 ? String(c).padEnd(widths[i] ?? 0) : String(c).padStart(widths[i] ?? 0)))
      .join('  ');
  const widths = [20, 8, 8, 7, 9, 4, 5, 9, 7, 7];
  const lines = [
    `API fuzz: seed ${report.seed}, ${report.requests} requests (repeat with FUZZ_SEED=${report.seed} FUZZ_REQUESTS=${report.requests})`,
    '',
    row(
      [
        'phase',
        'requests',
        'answered',
        'aborted',
        'no-answer',
        '5xx',
        'hangs',
        'off-shape',
        'errlogs',
        'healthy',
      ],
      widths,
    ),
  ];
  for (const p of report.phases)
    lines.push(
      row(
        [
          p.name,
          p.requests,
          p.answered,
          p.aborted,
          p.closedUnanswered,
          p.serverErrors,
          p.hangs,
          p.offShape,
          p.errorsLogged,
          p.healthy ? 'yes' : 'NO',
        ],
        widths,
      ),
    );
  const sum = (f: (p: PhaseReport) => number) => report.phases.reduce((n, p) => n + f(p), 0);
  lines.push(
    row(
      [
        'total',
        report.requests,
        sum((p) => p.answered),
        sum((p) => p.aborted),
        sum((p) => p.closedUnanswered),
        sum((p) => p.serverErrors),
        sum((p) => p.hangs),
        sum((p) => p.offShape),
        sum((p) => p.errorsLogged),
        report.phases.every((p) => p.healthy) ? 'yes' : 'NO',
      ],
      widths,
    ),
  );
  lines.push('', row(['answers by status', 'count'], [20, 8]));
  for (const [status, n] of [...report.byStatus].sort((a, b) => a[0] - b[0]))
    lines.push(row([status, n], [20, 8]));
  lines.push('', row(['requests by route', 'count', '5xx'], [24, 8, 5]));
  for (const [route, r] of [...report.byRoute].sort())
    lines.push(row([route, r.requests, r.serverErrors], [24, 8, 5]));
  for (const p of report.phases.filter((p) => !p.healthy))
    lines.push(`unhealthy after "${p.name}": ${p.health}`);
  if (report.examples.length) lines.push('', 'examples:', ...report.examples.map((e) => `  ${e}`));
  lines.push('', report.ok ? 'PASS' : 'FAIL');
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
  const requests = Number(process.env.FUZZ_REQUESTS ?? 10_000);
  if (!Number.isInteger(seed) || !Number.isInteger(requests) || requests < 1) {
    console.error('FUZZ_SEED and FUZZ_REQUESTS must be integers');
    process.exit(2);
  }
  console.log(`API fuzz: seed ${seed}, ${requests} requests`);
  const started = Date.now();
  const report = await fuzzApi({ seed, requests });
  console.log(formatReport(report));
  console.log(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exitCode = report.ok ? 0 : 1;
}
