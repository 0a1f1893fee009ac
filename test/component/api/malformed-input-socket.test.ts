// Malformed input the API answers with a 4xx in the problem shape, over a real socket: raw request lines
// fastify.inject would normalise or refuse to send (test/unit/api/malformed-input.test.ts has the rest).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { send, standInServer, TOKEN } from '../../fuzz/api-fuzz.ts';

const { app } = await standInServer({ SANDBOX_EXECUTOR_MANAGER_API_TOKEN: TOKEN });
await app.listen({ host: '127.0.0.1', port: 0 });
const port = (app.server.address() as { port: number }).port;

async function raw(requestLine: string, headers: string[] = [`Authorization: Bearer ${TOKEN}`]) {
  const head = Buffer.from(
    `${requestLine}\r\nHost: x\r\n${[...headers, 'Connection: close'].join('\r\n')}\r\n\r\n`,
    'latin1',
  );
  const reply = await send(
    port,
    { route: '', head, body: Buffer.alloc(0), shape: 'problem', isHead: false },
    5000,
  );
  return { status: reply.status, body: JSON.parse(reply.body.toString() || 'null') };
}

test('GET /v1/runs/.. (a dot segment, not normalised) is 422 naming "name"', async () => {
  const { status, body } = await raw('GET /v1/runs/.. HTTP/1.1');
  assert.is(status, 422);
  assert.match(body.message, 'name');
});

test('an unknown method is 400 "unknown HTTP method" in the problem shape', async () => {
  const { status, body } = await raw('BREW /run HTTP/1.1');
  assert.is(status, 400);
  assert.equal(body, { error: 'BadRequest', message: 'unknown HTTP method' });
});

test('CONNECT is answered 405 and its connection closed, not dropped', async () => {
  const { status, body } = await raw('CONNECT /run HTTP/1.1');
  assert.is(status, 405);
  assert.is(body.error, 'MethodNotAllowed');
});

test('headers over 16 KiB are 431 in the problem shape', async () => {
  const { status, body } = await raw('GET /healthz HTTP/1.1', [`X-Big: ${'b'.repeat(20_000)}`]);
  assert.is(status, 431);
  assert.is(body.error, 'RequestHeaderFieldsTooLarge');
});

test.after(async () => {
  await app.close();
});

test.run();
