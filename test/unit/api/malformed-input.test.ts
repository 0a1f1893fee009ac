// Malformed input on every route answers a 4xx that names the field: FastAPI's detail list on /run (RAGFlow's
// contract, the field in `loc`), the problem body ({error, message, issues}) on /v1 and everywhere else.
// Through fastify.inject; what inject cannot send goes over a real socket in
// test/component/api/malformed-input-socket.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { standInServer, TOKEN } from '../../fuzz/api-fuzz.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const MiB = 2 ** 20;
const deep = (depth: number) =>
  `{"code_b64":"","source":"","arguments":${'['.repeat(depth)}${']'.repeat(depth)}}`;

interface Case {
  what: string;
  method?: 'POST' | 'GET' | 'DELETE';
  url: string;
  body?: string;
  contentType?: string;
  status: number;
  field: string;
  /** Words the message must contain besides the field. */
  says?: string;
}

const json = (value: unknown) => JSON.stringify(value);

const RUN_CASES: Case[] = [
  { what: 'a body of null', url: '/run', body: 'null', status: 422, field: 'body' },
  { what: 'a body that is an array', url: '/run', body: '[]', status: 422, field: 'body' },
  { what: 'a body that is a string', url: '/run', body: '"x"', status: 422, field: 'body' },
  { what: 'a body that is a number', url: '/run', body: '42', status: 422, field: 'body' },
  { what: 'code_b64 null', url: '/run', body: json({ code_b64: null }), status: 422, field: 'code_b64' },
  { what: 'no code_b64', url: '/run', body: '{}', status: 422, field: 'code_b64', says: 'required' },
  {
    what: 'code_b64 not padded',
    url: '/run',
    body: json({ code_b64: 'eA' }),
    status: 422,
    field: 'code_b64',
  },
  {
    what: 'a language that is a number',
    url: '/run',
    body: json({ code_b64: b64('1'), language: 5 }),
    status: 422,
    field: 'language',
  },
  {
    what: 'the language "__proto__"',
    url: '/run',
    body: json({ code_b64: b64('1'), language: '__proto__' }),
    status: 422,
    field: 'language',
  },
  {
    what: 'a program over 256 KiB',
    url: '/run',
    body: json({ code_b64: b64(`x = 1\n${'#'.repeat(262_144)}`) }),
    status: 422,
    field: 'code_b64',
    says: 'limit is 262144',
  },
  {
    what: 'arguments over 256 KiB',
    url: '/run',
    body: json({ code_b64: b64('1'), arguments: { blob: 'x'.repeat(262_144) } }),
    status: 422,
    field: 'arguments',
    says: '262144 bytes',
  },
  {
    what: 'arguments that are a string',
    url: '/run',
    body: json({ code_b64: b64('1'), arguments: 'x' }),
    status: 422,
    field: 'arguments',
  },
  {
    what: 'a text/plain body',
    url: '/run',
    body: 'print(1)',
    contentType: 'text/plain',
    status: 422,
    field: 'body',
  },
  {
    what: 'an application/xml body',
    url: '/run',
    body: '<run/>',
    contentType: 'application/xml',
    status: 422,
    field: 'body',
    says: 'Content-Type',
  },
  { what: 'JSON cut short', url: '/run', body: '{"code_b64": ', status: 422, field: 'body', says: 'JSON' },
  { what: 'an empty JSON body', url: '/run', body: '', status: 422, field: 'body', says: 'empty' },
  { what: 'a __proto__ key', url: '/run', body: '{"__proto__":{"x":1}}', status: 422, field: 'body' },
  {
    what: 'a constructor.prototype key',
    url: '/run',
    body: '{"constructor":{"prototype":{"x":1}}}',
    status: 422,
    field: 'body',
  },
  { what: 'JSON nested 200 deep', url: '/run', body: deep(200), status: 422, field: 'body', says: 'nested' },
  {
    what: 'a 3 MiB body',
    url: '/run',
    body: json({ code_b64: 'A'.repeat(3 * MiB) }),
    status: 413,
    field: 'body',
    says: '2097152 bytes',
  },
];

const NATIVE_CASES: Case[] = [
  { what: 'a body of null', url: '/v1/runs', body: 'null', status: 422, field: 'body', says: 'JSON object' },
  { what: 'a body that is an array', url: '/v1/runs', body: '[]', status: 422, field: 'body' },
  { what: 'a body that is a string', url: '/v1/runs', body: '"x"', status: 422, field: 'body' },
  { what: 'a body that is a number', url: '/v1/runs', body: '42', status: 422, field: 'body' },
  {
    what: "RAGFlow's body (code_b64, no source)",
    url: '/v1/runs',
    body: json({ code_b64: null }),
    status: 422,
    field: 'source',
    says: 'required',
  },
  { what: 'source null', url: '/v1/runs', body: json({ source: null }), status: 422, field: 'source' },
  {
    what: 'arguments over 256 KiB',
    url: '/v1/runs',
    body: json({ language: 'python', source: '1', arguments: { blob: 'x'.repeat(262_144) } }),
    status: 422,
    field: 'arguments',
    says: '262144 bytes',
  },
  {
    what: 'source over the size limit',
    url: '/v1/runs',
    body: json({ source: 'x'.repeat(262_145) }),
    status: 422,
    field: 'source',
  },
  {
    what: 'an unknown language',
    url: '/v1/runs',
    body: json({ source: '1', language: 'ruby' }),
    status: 422,
    field: 'language',
  },
  {
    what: 'the language "constructor"',
    url: '/v1/runs',
    body: json({ source: '1', language: 'constructor' }),
    status: 422,
    field: 'language',
  },
  {
    what: 'arguments that are an array',
    url: '/v1/runs',
    body: json({ source: '1', arguments: [1] }),
    status: 422,
    field: 'arguments',
  },
  {
    what: 'timeoutSeconds 0',
    url: '/v1/runs',
    body: json({ source: '1', timeoutSeconds: 0 }),
    status: 422,
    field: 'timeoutSeconds',
  },
  {
    what: 'timeoutSeconds as a string',
    url: '/v1/runs',
    body: json({ source: '1', timeoutSeconds: '10' }),
    status: 422,
    field: 'timeoutSeconds',
  },
  {
    what: 'a text/plain body',
    url: '/v1/runs',
    body: 'print(1)',
    contentType: 'text/plain',
    status: 422,
    field: 'body',
  },
  {
    what: 'an application/xml body',
    url: '/v1/runs',
    body: '<run/>',
    contentType: 'application/xml',
    status: 415,
    field: 'Content-Type',
  },
  { what: 'JSON cut short', url: '/v1/runs', body: '{"source": ', status: 400, field: 'body', says: 'JSON' },
  { what: 'an empty JSON body', url: '/v1/runs', body: '', status: 400, field: 'body', says: 'empty' },
  { what: 'a __proto__ key', url: '/v1/runs', body: '{"__proto__":{"x":1}}', status: 400, field: 'body' },
  {
    what: 'JSON nested 200 deep',
    url: '/v1/runs',
    body: deep(200),
    status: 400,
    field: 'body',
    says: 'nested',
  },
  {
    what: 'a 3 MiB body',
    url: '/v1/runs',
    body: json({ source: 'A'.repeat(3 * MiB) }),
    status: 413,
    field: 'body',
    says: '2097152 bytes',
  },
  { what: '?wait=abc', url: '/v1/runs?wait=abc', body: json({ source: '1' }), status: 422, field: 'wait' },
  { what: '?wait=-1', url: '/v1/runs?wait=-1', body: json({ source: '1' }), status: 422, field: 'wait' },
  {
    what: 'wait given twice',
    url: '/v1/runs?wait=1&wait=2',
    body: json({ source: '1' }),
    status: 422,
    field: 'wait',
  },
];

const NAME_CASES: Case[] = (['GET', 'DELETE'] as const).flatMap((method) => [
  { what: 'an encoded slash as the name', method, url: '/v1/runs/%2F', status: 422, field: 'name' },
  { what: 'an encoded "../run" as the name', method, url: '/v1/runs/..%2Frun', status: 422, field: 'name' },
  { what: 'a NUL byte in the name', method, url: '/v1/runs/a%00b', status: 422, field: 'name' },
  { what: 'an upper-case name', method, url: '/v1/runs/RUN-1', status: 422, field: 'name' },
  {
    what: 'a name of 254 characters',
    method,
    url: `/v1/runs/${'a'.repeat(254)}`,
    status: 422,
    field: 'name',
  },
  {
    what: 'a name of 300 characters',
    method,
    url: `/v1/runs/${'a'.repeat(300)}`,
    status: 414,
    field: 'name',
  },
  {
    what: 'a name that does not decode',
    method,
    url: '/v1/runs/%ZZ',
    status: 400,
    field: 'path',
    says: 'percent-encoding',
  },
]);

const { app } = await standInServer({ SANDBOX_EXECUTOR_MANAGER_API_TOKEN: TOKEN });

async function answer(c: Case) {
  const res = await app.inject({
    method: c.method ?? 'POST',
    url: c.url,
    ...(c.body === undefined ? {} : { payload: c.body }),
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(c.body === undefined ? {} : { 'content-type': c.contentType ?? 'application/json' }),
    },
  });
  return { status: res.statusCode, body: res.json() };
}

for (const c of RUN_CASES) {
  test(`POST /run: ${c.what} is ${c.status} with "${c.field}" in FastAPI's loc`, async () => {
    const { status, body } = await answer(c);
    assert.is(status, c.status);
    const item = body.detail[0];
    assert.is(item.loc[0], 'body');
    if (c.field !== 'body') assert.is(item.loc[1], c.field);
    const text = `${item.msg} ${item.ctx?.error ?? ''}`;
    if (c.says) assert.match(text, c.says);
  });
}

for (const c of [...NATIVE_CASES, ...NAME_CASES]) {
  test(`${c.method ?? 'POST'} ${c.url.slice(0, 40)}: ${c.what} is ${c.status} naming "${c.field}"`, async () => {
    const { status, body } = await answer(c);
    assert.is(status, c.status);
    assert.type(body.error, 'string');
    assert.match(body.message, c.field);
    if (body.issues) assert.ok(body.issues.some((i: { field: string }) => i.field === c.field));
    if (c.says) assert.match(body.message, c.says);
  });
}

test('an unknown route is 404 in the problem shape, under /v1 and elsewhere', async () => {
  for (const url of ['/v1/nope', '/nope']) {
    const res = await app.inject({
      method: 'POST',
      url,
      payload: '{}',
      headers: { 'content-type': 'application/json' },
    });
    assert.is(res.statusCode, 404);
    assert.equal(res.json(), { error: 'NotFound', message: `no route POST ${url}` });
  }
});

test('a DELETE that labels its empty body as JSON is a DELETE without a body', async () => {
  const res = await app.inject({
    method: 'DELETE',
    url: '/v1/runs/run-000000000001',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
  });
  assert.is(res.statusCode, 204);
});

test.after(async () => {
  await app.close();
});

test.run();
