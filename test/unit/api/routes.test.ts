// Every status code and body shape of the HTTP contract, through fastify.inject (no socket, no cluster).

import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMetrics } from '../../../src/api/metrics.ts';
import {
  newRunName,
  type RunServiceSeam,
  type Submission,
  type SubmitOutcome,
  type Wait,
} from '../../../src/api/run-service.ts';
import { buildServer } from '../../../src/api/server.ts';
import type { ArtifactStore, StoredObject } from '../../../src/artifacts/store.ts';
import type { CodeRun, CodeRunStatus } from '../../../src/coderun/schema.ts';
import { loadApiConfig } from '../../../src/config/api.ts';
import { createLogger } from '../../../src/log.ts';
import { createPolicy } from '../../../src/policy/index.ts';
import { fixedRuntimes } from '../../../src/runtimes/catalog.ts';
import { makeRun, RAGFLOW_FIELDS, testRuntimes } from '../../fixtures.ts';

const TOKEN = 'sekret-token';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** Plays the run service: answers with a scripted outcome and records what it was asked. */
class ScriptedRunService implements RunServiceSeam {
  inFlight = 0;
  submissions: Submission[] = [];
  outcome: SubmitOutcome = {
    kind: 'finished',
    run: makeRun(
      {},
      {
        phase: 'Succeeded',
        reason: 'Completed',
        exitCode: 0,
        stdout: 'ok\n',
        result: { present: true, value: 1 },
      },
    ),
  };
  stored = new Map<string, CodeRun>();
  private readonly policy = createPolicy('strict');

  /** /run answers with `outcome`; a kept run (POST /v1/runs) is created, and under ?wait finishes at once. */
  async submit(sub: Submission, wait: Wait): Promise<SubmitOutcome> {
    this.submissions.push(sub);
    if (this.outcome.kind === 'busy') return this.outcome;
    const { findings } = sub.policy ? this.policy(sub.policy, sub.source) : { findings: [] };
    if (findings.length) return { kind: 'rejected', findings };
    if (wait.until === 'outcome') return this.outcome;
    const name = newRunName();
    const run = makeRun(
      { language: sub.language, source: sub.source, arguments: sub.arguments },
      undefined,
      name,
    );
    this.stored.set(name, run);
    if (wait.ms === 0) return { kind: 'unfinished', run };
    const status: CodeRunStatus = {
      phase: 'Succeeded',
      reason: 'Completed',
      exitCode: 0,
      stdout: 'done\n',
      memoryUsedKb: 9_000,
    };
    return { kind: 'finished', run: { ...run, status } };
  }
  async get(name: string): Promise<CodeRun> {
    const run = this.stored.get(name);
    if (!run) throw Object.assign(new Error('not found'), { code: 404 });
    return run;
  }
  async delete(name: string): Promise<void> {
    if (!this.stored.delete(name)) throw Object.assign(new Error('not found'), { code: 404 });
  }
}

async function server(
  env: Record<string, string> = {},
  service = new ScriptedRunService(),
  ready = true,
  live: { ok: boolean; detail?: string } = { ok: true },
  store: ArtifactStore | null = null,
) {
  const config = loadApiConfig({
    SANDBOX_EXECUTOR_MANAGER_API_TOKEN: TOKEN,
    SANDBOX_RUN_PREAUTH_RATE_LIMIT: '1000/minute',
    SANDBOX_RUN_RATE_LIMIT: '1000/minute',
    ...env,
  });
  const app = await buildServer({
    config,
    service,
    runtimes: fixedRuntimes(testRuntimes()),
    store,
    metrics: createMetrics(() => service.inFlight),
    ready: async () => (ready ? { ok: true } : { ok: false, detail: 'cannot reach the Kubernetes API' }),
    live: () => live,
    log: createLogger('silent', 'test'),
  });
  return { app, service };
}

const auth = { authorization: `Bearer ${TOKEN}` };
const post = (payload: unknown, headers: Record<string, string> = auth) => ({
  method: 'POST' as const,
  url: '/run',
  payload: payload as object,
  headers,
});

test('GET /healthz and GET / answer {"status":"ok"} without a token', async () => {
  const { app } = await server();
  for (const url of ['/healthz', '/']) {
    const res = await app.inject({ url });
    assert.is(res.statusCode, 200);
    assert.equal(res.json(), { status: 'ok' });
  }
});

test('GET /healthz is 503, saying why, once the run watch has been down too long', async () => {
  const detail =
    'the CodeRun watch has been down for 130 s (last end: 410 Expired: too old resource version)';
  const { app } = await server({}, new ScriptedRunService(), true, { ok: false, detail });
  const res = await app.inject({ url: '/healthz' });
  assert.is(res.statusCode, 503);
  assert.equal(res.json(), { status: 'unavailable', detail });
});

test('GET /readyz is 503 while Kubernetes is unreachable', async () => {
  assert.is((await (await server()).app.inject({ url: '/readyz' })).statusCode, 200);
  assert.is(
    (await (await server({}, new ScriptedRunService(), false)).app.inject({ url: '/readyz' })).statusCode,
    503,
  );
});

test('GET /metrics serves Prometheus text with the run counters, without a token', async () => {
  const { app } = await server();
  await app.inject(post({ code_b64: b64('print(1)') }));
  const res = await app.inject({ url: '/metrics' });
  assert.is(res.statusCode, 200);
  assert.match(res.body, 'coderun_api_runs_total{language="python",outcome="success"} 1');
  assert.match(res.body, 'coderun_api_inflight_runs 0');
  assert.match(res.body, 'coderun_api_run_duration_seconds_bucket');
});

test('GET /openapi.json documents /run and the native routes', async () => {
  const doc = (await (await server()).app.inject({ url: '/openapi.json' })).json();
  assert.is(doc.openapi.startsWith('3.'), true);
  for (const path of ['/run', '/v1/runs', '/v1/runs/{name}'])
    assert.ok(doc.paths[path], `${path} is documented`);
  // Each guarded scope declares its credentials once; every route in it carries them.
  const security = [{ bearer: [] }, { sandboxToken: [] }];
  assert.equal(doc.paths['/run'].post.security, security);
  assert.equal(doc.paths['/v1/runs'].post.security, security);
  assert.equal(doc.paths['/v1/runs/{name}'].get.security, security);
  assert.equal(doc.paths['/v1/runs/{name}'].delete.security, security);
  assert.equal(doc.paths['/v1/runs/{name}/artifacts/{file}'].get.security, security);
});

test("POST /run without a token is 401 with upstream's detail", async () => {
  const res = await (await server()).app.inject(post({ code_b64: b64('1') }, {}));
  assert.is(res.statusCode, 401);
  assert.equal(res.json(), { detail: 'Missing or invalid sandbox executor API token' });
});

test('POST /run with a wrong token is 401, whichever header carries it', async () => {
  const { app } = await server();
  assert.is(
    (await app.inject(post({ code_b64: b64('1') }, { authorization: 'Bearer nope' }))).statusCode,
    401,
  );
  assert.is((await app.inject(post({ code_b64: b64('1') }, { 'x-sandbox-token': 'nope' }))).statusCode, 401);
});

test('the token is accepted as Bearer or as X-Sandbox-Token', async () => {
  const { app } = await server();
  assert.is(
    (await app.inject(post({ code_b64: b64('1') }, { authorization: `Bearer ${TOKEN}` }))).statusCode,
    200,
  );
  assert.is((await app.inject(post({ code_b64: b64('1') }, { 'x-sandbox-token': TOKEN }))).statusCode, 200);
});

test('with no token configured every run is refused with 503 naming the variable (fail closed)', async () => {
  const { app } = await server({ SANDBOX_EXECUTOR_MANAGER_API_TOKEN: '' });
  const res = await app.inject(post({ code_b64: b64('1') }, {}));
  assert.is(res.statusCode, 503);
  assert.match(res.json().detail, 'SANDBOX_EXECUTOR_MANAGER_API_TOKEN');
});

test('with no token and ALLOW_UNAUTHENTICATED truthy, runs are served', async () => {
  for (const value of ['1', 'true', ' YES ', 'on']) {
    const { app } = await server({
      SANDBOX_EXECUTOR_MANAGER_API_TOKEN: '',
      SANDBOX_EXECUTOR_MANAGER_ALLOW_UNAUTHENTICATED: value,
    });
    assert.is((await app.inject(post({ code_b64: b64('1') }, {}))).statusCode, 200, value);
  }
});

test('a successful run answers 200 with every field of the contract', async () => {
  const res = await (await server()).app.inject(post({ code_b64: b64('def main():\n  return 1\n') }));
  assert.is(res.statusCode, 200);
  const { status, stdout, stderr, exit_code, artifacts, result, ...unmeasured } = res.json();
  assert.equal(Object.keys(res.json()).sort(), RAGFLOW_FIELDS);
  assert.equal(
    { status, stdout, stderr, exit_code, artifacts, result },
    {
      status: 'success',
      stdout: 'ok\n',
      stderr: '',
      exit_code: 0,
      artifacts: [],
      result: { present: true, value: 1, type: 'json' },
    },
  );
  // The scripted run reports neither time nor memory, and nothing went wrong: the rest of the contract is null.
  for (const [field, value] of Object.entries(unmeasured)) assert.is(value, null, field);
});

test('a failed run still answers HTTP 200 with the mapped status', async () => {
  const service = new ScriptedRunService();
  service.outcome = {
    kind: 'finished',
    run: makeRun({}, { phase: 'Failed', reason: 'TimedOut' } as CodeRunStatus),
  };
  const res = await (await server({}, service)).app.inject(post({ code_b64: b64('while True: pass') }));
  assert.is(res.statusCode, 200);
  assert.equal([res.json().status, res.json().exit_code], ['resource_limit_exceeded', -124]);
});

test('code the policy rejects answers -999 "Code is unsafe" with Line <n> findings', async () => {
  const res = await (await server()).app.inject(post({ code_b64: b64('x = 1\nimport subprocess\n') }));
  assert.is(res.statusCode, 200);
  assert.equal(
    [res.json().status, res.json().exit_code, res.json().detail],
    ['program_runner_error', -999, 'Code is unsafe'],
  );
  assert.match(res.json().stderr, /^Line 2: /);
});

test('a missing code_b64 is 422 type "missing" at ["body","code_b64"]', async () => {
  const res = await (await server()).app.inject(post({ language: 'python' }));
  assert.is(res.statusCode, 422);
  assert.equal(res.json().detail[0], {
    type: 'missing',
    loc: ['body', 'code_b64'],
    msg: 'Field required',
    input: { language: 'python' },
  });
});

test('base64 that is not strict (no padding, whitespace, bad alphabet) is 422 value_error', async () => {
  const { app } = await server();
  for (const code_b64 of ['cHJpbnQoMSk', 'cHJp bnQoMSk=', 'cHJpbnQoMSk=\n', '!!!!']) {
    const res = await app.inject(post({ code_b64 }));
    assert.is(res.statusCode, 422, code_b64);
    assert.is(res.json().detail[0].type, 'value_error');
    assert.equal(res.json().detail[0].loc, ['body', 'code_b64']);
    assert.match(res.json().detail[0].msg, 'Invalid base64');
  }
});

test('base64 of bytes that are not UTF-8 is a clear 422, not a 500', async () => {
  const res = await (await server()).app.inject(
    post({ code_b64: Buffer.from([0xff, 0xfe, 0x41]).toString('base64') }),
  );
  assert.is(res.statusCode, 422);
  assert.match(res.json().detail[0].msg, 'UTF-8');
});

test('an unknown language is 422 type "enum" listing the supported ones', async () => {
  const res = await (await server()).app.inject(post({ code_b64: b64('1'), language: 'ruby' }));
  assert.is(res.statusCode, 422);
  const item = res.json().detail[0];
  assert.equal([item.type, item.loc, item.input], ['enum', ['body', 'language'], 'ruby']);
  assert.match(item.msg, "'python'");
  assert.match(item.msg, "'nodejs'");
});

test('language aliases are accepted in any case', async () => {
  const service = new ScriptedRunService();
  const { app } = await server({}, service);
  for (const language of ['Python3', 'py', 'JS', 'javascript', 'node', 'NODEJS']) {
    assert.is((await app.inject(post({ code_b64: b64('1'), language }))).statusCode, 200, language);
  }
  assert.equal(
    service.submissions.map((s) => s.language),
    ['python', 'python', 'nodejs', 'nodejs', 'nodejs', 'nodejs'],
  );
});

test('arguments that are not an object are 422 dict_type', async () => {
  const { app } = await server({}, new ScriptedRunService());
  const res = await app.inject(post({ code_b64: b64('1'), arguments: [1, 2] }));
  assert.is(res.statusCode, 422);
  assert.equal([res.json().detail[0].type, res.json().detail[0].loc], ['dict_type', ['body', 'arguments']]);
});

test('arguments null mean {}', async () => {
  const service = new ScriptedRunService();
  const { app } = await server({}, service);
  assert.is((await app.inject(post({ code_b64: b64('1'), arguments: null }))).statusCode, 200);
  assert.equal(service.submissions.at(-1)?.arguments, {});
});

test('unknown fields are ignored and empty code is valid', async () => {
  const service = new ScriptedRunService();
  const res = await (await server({}, service)).app.inject(
    post({ code_b64: '', base_image: 'custom', extra: 1 }),
  );
  assert.is(res.statusCode, 200);
  assert.is(service.submissions[0]?.source, '');
});

test('a body that is not JSON is 422 json_invalid', async () => {
  const res = await (await server()).app.inject({
    method: 'POST',
    url: '/run',
    payload: '{"code_b64": ',
    headers: { ...auth, 'content-type': 'application/json' },
  });
  assert.is(res.statusCode, 422);
  assert.is(res.json().detail[0].type, 'json_invalid');
});

test('a JSON body that is not an object is 422', async () => {
  const res = await (await server()).app.inject(post([1, 2, 3]));
  assert.is(res.statusCode, 422);
  assert.equal(res.json().detail[0].loc, ['body']);
});

test('a body over the limit is 413 with the limit in the message', async () => {
  const { app } = await server({ CODERUN_BODY_LIMIT: '2048' });
  const res = await app.inject(post({ code_b64: b64('x'.repeat(4096)) }));
  assert.is(res.statusCode, 413);
  assert.match(res.json().detail[0].msg, '2048 bytes');
});

test('too many requests before auth are 429 with Retry-After and the -429 body, tokens or not', async () => {
  const { app } = await server({ SANDBOX_RUN_PREAUTH_RATE_LIMIT: '2/minute' });
  await app.inject(post({ code_b64: b64('1') }, {}));
  await app.inject(post({ code_b64: b64('1') }, {}));
  const res = await app.inject(post({ code_b64: b64('1') }));
  assert.is(res.statusCode, 429);
  assert.ok(Number(res.headers['retry-after']) > 0);
  assert.equal(
    [res.json().exit_code, res.json().stderr, res.json().status],
    [-429, 'Too many requests, please try again later', 'program_runner_error'],
  );
});

test('the authenticated run quota answers 429 once exhausted', async () => {
  const { app } = await server({ SANDBOX_RUN_RATE_LIMIT: '1/minute' });
  assert.is((await app.inject(post({ code_b64: b64('1') }))).statusCode, 200);
  const res = await app.inject(post({ code_b64: b64('1') }));
  assert.is(res.statusCode, 429);
  assert.is(res.json().exit_code, -429);
});

test('a replica at its in-flight bound answers 429 with Retry-After instead of queueing', async () => {
  const service = new ScriptedRunService();
  service.outcome = { kind: 'busy', why: 'inflight' };
  const res = await (await server({}, service)).app.inject(post({ code_b64: b64('1') }));
  assert.is(res.statusCode, 429);
  assert.is(res.headers['retry-after'], '1');
  assert.is(res.json().exit_code, -429);
});

test('POST /v1/runs at the in-flight bound answers 429 Busy with Retry-After', async () => {
  const service = new ScriptedRunService();
  service.outcome = { kind: 'busy', why: 'inflight' };
  const res = await (await server({}, service)).app.inject({
    method: 'POST',
    url: '/v1/runs',
    payload: { language: 'python', source: 'print(1)' },
    headers: auth,
  });
  assert.is(res.statusCode, 429);
  assert.is(res.headers['retry-after'], '1');
  assert.equal(res.json(), {
    error: 'Busy',
    message: 'this API replica is at its in-flight limit; retry shortly',
  });
});

test('POST /v1/runs returns 201 with the run at once', async () => {
  const { app } = await server();
  const created = await app.inject({
    method: 'POST',
    url: '/v1/runs',
    payload: { language: 'python', source: 'print(1)' },
    headers: auth,
  });
  assert.is(created.statusCode, 201);
  assert.match(created.json().name, /^run-[0-9a-f]{12}$/);
  assert.is(created.json().phase, 'Pending');
  assert.is(created.json().memoryUsedKb, null);
});

test('POST /v1/runs?wait=N returns 200 with the outcome when the run ends in time', async () => {
  const { app } = await server();
  const waited = await app.inject({
    method: 'POST',
    url: '/v1/runs?wait=5',
    payload: { language: 'js', source: 'console.log(1)' },
    headers: auth,
  });
  assert.is(waited.statusCode, 200);
  assert.equal(
    [waited.json().phase, waited.json().stdout, waited.json().language, waited.json().memoryUsedKb],
    ['Succeeded', 'done\n', 'nodejs', 9_000],
  );
});

test('POST /v1/runs refuses code the policy rejects with 422 and the findings', async () => {
  const res = await (await server()).app.inject({
    method: 'POST',
    url: '/v1/runs',
    payload: { language: 'python', source: 'import subprocess' },
    headers: auth,
  });
  assert.is(res.statusCode, 422);
  assert.is(res.json().error, 'PolicyRejected');
  assert.is(res.json().findings[0].line, 1);
});

/** A server holding one run created through POST /v1/runs, and its name. */
async function serverWithRun() {
  const { app } = await server();
  const name: string = (
    await app.inject({
      method: 'POST',
      url: '/v1/runs',
      payload: { language: 'python', source: '1' },
      headers: auth,
    })
  ).json().name;
  return { app, name };
}

test('GET /v1/runs/{name} reads a run', async () => {
  const { app, name } = await serverWithRun();
  assert.is((await app.inject({ url: `/v1/runs/${name}`, headers: auth })).json().name, name);
});

test('DELETE /v1/runs/{name} deletes a run: 204, then GET is 404 naming it', async () => {
  const { app, name } = await serverWithRun();
  assert.is((await app.inject({ method: 'DELETE', url: `/v1/runs/${name}`, headers: auth })).statusCode, 204);
  const missing = await app.inject({ url: `/v1/runs/${name}`, headers: auth });
  assert.is(missing.statusCode, 404);
  assert.match(missing.json().message, name);
});

test('DELETE /v1/runs/{name} of a run that is not there is 404', async () => {
  const { app, name } = await serverWithRun();
  assert.is((await app.inject({ method: 'DELETE', url: `/v1/runs/${name}`, headers: auth })).statusCode, 204);
  assert.is((await app.inject({ method: 'DELETE', url: `/v1/runs/${name}`, headers: auth })).statusCode, 404);
});

test('the native routes need the token too', async () => {
  assert.is((await (await server()).app.inject({ url: '/v1/runs/x' })).statusCode, 401);
});

/** An artifact store in memory, for the routes' side of artifacts (the S3 store is tested against a real server). */
class MemoryStore implements ArtifactStore {
  readonly objects = new Map<string, Buffer>();
  location(key: string): string {
    return `mem://${key}`;
  }
  async ready(): Promise<void> {}
  async put(key: string, body: Readable): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    this.objects.set(key, Buffer.concat(chunks));
  }
  async get(key: string): Promise<StoredObject | null> {
    const bytes = this.objects.get(key);
    return bytes ? { body: Readable.from([bytes]), size: bytes.length } : null;
  }
  async deletePrefix(prefix: string): Promise<number> {
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix));
    for (const k of keys) this.objects.delete(k);
    return keys.length;
  }
  async listRunFolders(): Promise<string[]> {
    return [];
  }
}

const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(70_001, 7)]);
const CSV = Buffer.from('a,b\n1,2\n');

/** A finished run that lists two artifacts, with their bytes in `store`. */
function runWithArtifacts(store: MemoryStore, status: Partial<CodeRunStatus> = {}): CodeRun {
  const run = makeRun({}, { phase: 'Succeeded', reason: 'Completed', exitCode: 0, stdout: 'ok\n' }, 'art');
  const files = [
    { name: 'chart.png', mimeType: 'image/png', bytes: PNG },
    { name: 'data.csv', mimeType: 'text/csv', bytes: CSV },
  ];
  for (const f of files) store.objects.set(`sandbox/art/uid-art/${f.name}`, f.bytes);
  run.status = {
    ...run.status,
    artifacts: files.map((f) => ({
      name: f.name,
      mimeType: f.mimeType,
      size: f.bytes.length,
      sha256: 'a'.repeat(64),
      location: `mem://sandbox/art/uid-art/${f.name}`,
    })),
    ...status,
  };
  return run;
}

test("POST /run returns the files of a successful run inline, base64, in RAGFlow's item shape", async () => {
  const store = new MemoryStore();
  const service = new ScriptedRunService();
  service.outcome = { kind: 'finished', run: runWithArtifacts(store) };
  const { app } = await server({}, service, true, { ok: true }, store);
  const res = await app.inject({
    method: 'POST',
    url: '/run',
    headers: auth,
    payload: { language: 'python', code_b64: b64('def main():\n  return 1\n') },
  });
  assert.is(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = res.json();
  assert.equal(Object.keys(body).sort(), RAGFLOW_FIELDS);
  assert.is(body.status, 'success');
  assert.is(body.stdout, 'ok\n');
  assert.equal(
    body.artifacts.map((a: Record<string, unknown>) => [a.name, a.mime_type, a.size]),
    [
      ['chart.png', 'image/png', PNG.length],
      ['data.csv', 'text/csv', CSV.length],
    ],
  );
  assert.ok(Buffer.from(body.artifacts[0].content_b64, 'base64').equals(PNG));
  assert.is(body.artifacts[1].content_b64, CSV.toString('base64'));
  assert.not.match(body.artifacts[0].content_b64, /\s/);
  await app.close();
});

test('POST /run returns no files for a run that failed, and leaves out a file the store lost', async () => {
  const store = new MemoryStore();
  const service = new ScriptedRunService();
  service.outcome = {
    kind: 'finished',
    run: runWithArtifacts(store, { phase: 'Failed', reason: 'NonZeroExit', exitCode: 1, stderr: 'boom' }),
  };
  const { app } = await server({}, service, true, { ok: true }, store);
  const payload = { language: 'python', code_b64: b64('def main():\n  return 1\n') };
  let res = await app.inject({ method: 'POST', url: '/run', headers: auth, payload });
  assert.is(res.json().status, 'program_error');
  assert.equal(res.json().artifacts, []);

  service.outcome = { kind: 'finished', run: runWithArtifacts(store) };
  store.objects.delete('sandbox/art/uid-art/chart.png');
  res = await app.inject({ method: 'POST', url: '/run', headers: auth, payload });
  assert.equal(
    res.json().artifacts.map((a: { name: string }) => a.name),
    ['data.csv'],
  );
  await app.close();
});

/** A server whose native API holds the run `art`, with a PNG and a CSV in the store. */
async function artifactServer() {
  const store = new MemoryStore();
  const service = new ScriptedRunService();
  service.stored.set('art', runWithArtifacts(store));
  return (await server({}, service, true, { ok: true }, store)).app;
}

test('GET /v1/runs/{name} lists each file by its download URL, not its store location', async () => {
  const app = await artifactServer();
  const view = await app.inject({ method: 'GET', url: '/v1/runs/art', headers: auth });
  assert.equal(
    view.json().artifacts.map((a: { url: string }) => a.url),
    ['/v1/runs/art/artifacts/chart.png', '/v1/runs/art/artifacts/data.csv'],
  );
  assert.is(view.json().artifacts[0].location, undefined);
  await app.close();
});

test('GET /v1/runs/{name}/artifacts/{file} serves one file as an attachment', async () => {
  const app = await artifactServer();
  const res = await app.inject({ method: 'GET', url: '/v1/runs/art/artifacts/chart.png', headers: auth });
  assert.is(res.statusCode, 200);
  assert.is(res.headers['content-type'], 'image/png');
  assert.is(res.headers['content-length'], String(PNG.length));
  assert.match(String(res.headers['content-disposition']), /^attachment; filename="chart.png"/);
  assert.is(res.headers['x-content-type-options'], 'nosniff');
  assert.ok(res.rawPayload.equals(PNG));
  await app.close();
});

test('GET /v1/runs/{name}/artifacts/{file} of a file the run lacks is 404 naming the files it has', async () => {
  const app = await artifactServer();
  const missing = await app.inject({ method: 'GET', url: '/v1/runs/art/artifacts/other.png', headers: auth });
  assert.is(missing.statusCode, 404);
  assert.match(missing.json().message, /no artifact named other\.png \(it has: chart\.png, data\.csv\)/);
  await app.close();
});

test('GET /v1/runs/{name}/artifacts/{file} with a name no artifact can have is 422 naming the file', async () => {
  const app = await artifactServer();
  for (const bad of ['..%2Fetc%2Fpasswd', '.hidden.png', '%0A.png']) {
    const r = await app.inject({ method: 'GET', url: `/v1/runs/art/artifacts/${bad}`, headers: auth });
    assert.is(r.statusCode, 422, bad);
    assert.match(r.json().message, /file/, bad);
  }
  await app.close();
});

test('GET /v1/runs/{name}/artifacts/{file} without a token is 401', async () => {
  const app = await artifactServer();
  const noToken = await app.inject({ method: 'GET', url: '/v1/runs/art/artifacts/chart.png' });
  assert.is(noToken.statusCode, 401);
  await app.close();
});

const FULL_OUTPUT = {
  stdout: `${'o'.repeat(300_000)}\n`,
  stderr: 'e'.repeat(200_000),
  result: { present: true, value: [1, 2] },
};

/** A server whose run `big` (the answer to /run too) keeps previews in its status and FULL_OUTPUT in the store. */
async function fullOutputServer() {
  const store = new MemoryStore();
  store.objects.set('sandbox/big/uid-big/.coderun/output.json', Buffer.from(JSON.stringify(FULL_OUTPUT)));
  const run = makeRun(
    {},
    {
      phase: 'Succeeded',
      reason: 'Completed',
      exitCode: 0,
      stdout: 'o'.repeat(4096),
      stderr: 'e'.repeat(4096),
      result: { present: true },
      fullOutput: { location: 'mem://x', stdoutBytes: 300_001, stderrBytes: 200_000, resultStored: true },
    },
    'big',
  );
  const service = new ScriptedRunService();
  service.outcome = { kind: 'finished', run };
  service.stored.set('big', run);
  const { app } = await server({}, service, true, { ok: true }, store);
  return { app, store };
}

const runPython = (app: Awaited<ReturnType<typeof fullOutputServer>>['app']) =>
  app.inject({
    method: 'POST',
    url: '/run',
    headers: auth,
    payload: { language: 'python', code_b64: b64('def main():\n  return 1\n') },
  });

test('/run answers a run whose status keeps previews with its whole output from the store', async () => {
  const { app } = await fullOutputServer();
  const body = (await runPython(app)).json();
  assert.is(body.stdout, FULL_OUTPUT.stdout);
  assert.is(body.stderr, FULL_OUTPUT.stderr);
  assert.equal(body.result, { present: true, value: [1, 2], type: 'json' });
  await app.close();
});

test('GET /v1/runs/{name} answers a run whose status keeps previews with its whole output from the store', async () => {
  const { app } = await fullOutputServer();
  const view = (await app.inject({ method: 'GET', url: '/v1/runs/big', headers: auth })).json();
  assert.is(view.stdout.length, FULL_OUTPUT.stdout.length);
  assert.equal(view.result, { present: true, value: [1, 2] });
  await app.close();
});

test('/run answers program_runner_error when the whole output is missing from the store', async () => {
  const { app, store } = await fullOutputServer();
  store.objects.clear();
  const lost = await runPython(app);
  assert.is(lost.json().status, 'program_runner_error', 'never a cut-off text passed off as the whole');
  assert.match(lost.json().stderr, /missing from the artifact store/);
  await app.close();
});

test.run();
