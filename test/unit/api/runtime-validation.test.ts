// Both APIs accept exactly the registered runtimes, by name or alias, and refuse any other language naming
// the field and listing what is registered: /run in RAGFlow's 422 shape, /v1/runs in the problem body.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMetrics } from '../../../src/api/metrics.ts';
import type { RunServiceSeam, Submission, SubmitOutcome } from '../../../src/api/run-service.ts';
import { buildServer } from '../../../src/api/server.ts';
import type { SandboxRuntime } from '../../../src/coderun/sandbox-runtime.ts';
import { loadApiConfig } from '../../../src/config/api.ts';
import { createLogger } from '../../../src/log.ts';
import { builtinRuntimes, RuntimeSet, type RuntimeSource } from '../../../src/runtimes/catalog.ts';
import { makeRun } from '../../fixtures.ts';

const TOKEN = 'sekret-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const BUILTINS = builtinRuntimes({ python: 'p:1', nodejs: 'n:1' });

const ruby: SandboxRuntime = {
  apiVersion: 'coderun.dev/v1alpha1',
  kind: 'SandboxRuntime',
  metadata: { name: 'ruby' },
  spec: { aliases: ['rb'], image: 'example/ruby:1', programFile: 'main.rb', policy: 'none' },
};

/** Records what it is asked to run and answers with a finished run. */
class RecordingService implements RunServiceSeam {
  inFlight = 0;
  submissions: Submission[] = [];
  async submit(sub: Submission): Promise<SubmitOutcome> {
    this.submissions.push(sub);
    return {
      kind: 'finished',
      run: makeRun({}, { phase: 'Succeeded', reason: 'Completed', exitCode: 0, stdout: '' }),
    };
  }
  async get(): Promise<never> {
    throw Object.assign(new Error('not found'), { code: 404 });
  }
  async delete(): Promise<void> {}
}

/** A server whose runtimes are whatever `registered` holds at the time of each request. */
async function server(registered: SandboxRuntime[] = []) {
  const service = new RecordingService();
  const runtimes: RuntimeSource = { current: () => RuntimeSet.of(registered, BUILTINS) };
  const app = await buildServer({
    config: loadApiConfig({
      SANDBOX_EXECUTOR_MANAGER_API_TOKEN: TOKEN,
      SANDBOX_RUN_PREAUTH_RATE_LIMIT: '1000/minute',
      SANDBOX_RUN_RATE_LIMIT: '1000/minute',
    }),
    service,
    runtimes,
    store: null,
    metrics: createMetrics(() => 0),
    ready: async () => ({ ok: true }),
    live: () => ({ ok: true }),
    log: createLogger('silent', 'test'),
  });
  return { app, service };
}

const run = (payload: object) => ({ method: 'POST' as const, url: '/run', payload, headers: auth });
const create = (payload: object) => ({ method: 'POST' as const, url: '/v1/runs', payload, headers: auth });

test("/run refuses an unknown language with RAGFlow's 422 body, byte for byte as before runtimes were data", async () => {
  const { app } = await server();
  const res = await app.inject(run({ code_b64: b64('1'), language: 'ruby' }));
  assert.is(res.statusCode, 422);
  assert.is(
    res.body,
    `{"detail":[{"type":"enum","msg":"Input should be one of 'python', 'python3', 'py', 'nodejs', 'javascript', 'js', 'node'","loc":["body","language"],"input":"ruby"}]}`,
  );
});

test('/run lists the registered runtimes and their aliases when one is registered', async () => {
  const { app } = await server([ruby]);
  const res = await app.inject(run({ code_b64: b64('1'), language: 'python' }));
  assert.is(res.statusCode, 422);
  assert.is(res.json().detail[0].msg, "Input should be one of 'ruby', 'rb'");
});

test('/run accepts a registered runtime by alias and submits it under its name, with its policy', async () => {
  const { app, service } = await server([ruby]);
  const res = await app.inject(run({ code_b64: b64('puts 1'), language: ' RB ' }));
  assert.is(res.statusCode, 200);
  assert.equal(
    service.submissions.map((s) => [s.language, s.policy]),
    [['ruby', null]],
  );
});

test("/run with the chart's runtimes accepts typescript and ts (typescript policy), and python and nodejs as before", async () => {
  const chart = (
    name: string,
    aliases: string[],
    programFile: string,
    policy: 'python' | 'javascript' | 'typescript',
  ) =>
    ({ ...ruby, metadata: { name }, spec: { aliases, image: 'i:1', programFile, policy } }) as SandboxRuntime;
  const { app, service } = await server([
    chart('python', ['python3', 'py'], 'main.py', 'python'),
    chart('nodejs', ['javascript', 'js', 'node'], 'main.js', 'javascript'),
    chart('typescript', ['ts'], 'main.ts', 'typescript'),
  ]);
  for (const language of ['typescript', 'TS', 'python', 'nodejs']) {
    assert.is((await app.inject(run({ code_b64: b64('1'), language }))).statusCode, 200, language);
  }
  assert.equal(
    service.submissions.map((s) => [s.language, s.policy]),
    [
      ['typescript', 'typescript'],
      ['typescript', 'typescript'],
      ['python', 'python'],
      ['nodejs', 'javascript'],
    ],
  );
  const refused = await app.inject(run({ code_b64: b64('1'), language: 'ruby' }));
  assert.is(
    refused.json().detail[0].msg,
    "Input should be one of 'python', 'python3', 'py', 'nodejs', 'javascript', 'js', 'node', 'typescript', 'ts'",
  );
});

test('/run keeps the python default language and checks it with the python policy', async () => {
  const { app, service } = await server();
  assert.is((await app.inject(run({ code_b64: b64('1') }))).statusCode, 200);
  assert.is((await app.inject(run({ code_b64: b64('1'), language: 'node' }))).statusCode, 200);
  assert.equal(
    service.submissions.map((s) => [s.language, s.policy]),
    [
      ['python', 'python'],
      ['nodejs', 'javascript'],
    ],
  );
});

test('/v1/runs refuses an unknown language with a 422 naming the field and listing the registered runtimes', async () => {
  const { app } = await server([ruby]);
  const res = await app.inject(create({ language: 'cobol', source: '1' }));
  assert.is(res.statusCode, 422);
  assert.equal(res.json(), {
    error: 'InvalidRequest',
    message: 'invalid request: language: no SandboxRuntime named "cobol"; registered: ruby',
    issues: [{ field: 'language', message: 'no SandboxRuntime named "cobol"; registered: ruby' }],
  });
});

test('a runtime registered after the server started is accepted at once', async () => {
  const registered: SandboxRuntime[] = [];
  const { app, service } = await server(registered);
  assert.is((await app.inject(create({ language: 'ruby', source: 'puts 1' }))).statusCode, 422);
  registered.push(ruby);
  assert.is((await app.inject(create({ language: 'ruby', source: 'puts 1' }))).statusCode, 200);
  assert.equal(service.submissions.at(-1)?.language, 'ruby');
});

test.run();
