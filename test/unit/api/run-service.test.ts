// RunService.create against a stand-in CodeRun client: a quota the kube-controller-manager has not counted
// yet (a release installed moments ago) is waited out instead of failing the first runs after an install.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RunService } from '../../../src/api/run-service.ts';
import type { RunWatcher } from '../../../src/api/run-watcher.ts';
import type { CodeRunClient } from '../../../src/coderun/client.ts';
import type { CodeRun } from '../../../src/coderun/schema.ts';
import { loadApiConfig } from '../../../src/config/api.ts';
import { createLogger } from '../../../src/log.ts';
import { makeRun, testPolicy } from '../../fixtures.ts';

/** The API server's refusal while a ResourceQuota has no status for the resource yet, as client-node throws it. */
function quotaPending(): Error {
  return Object.assign(new Error('HTTP-Code: 403'), {
    code: 403,
    body: JSON.stringify({
      kind: 'Status',
      status: 'Failure',
      reason: 'Forbidden',
      code: 403,
      message:
        'coderuns.coderun.dev "run-1" is forbidden: status unknown for quota: coderun-sandbox, resources: count/coderuns.coderun.dev',
    }),
  });
}

/** The API server's answer when the quota's usage update lost a race with another create (seen under load). */
function quotaConflict(): Error {
  return Object.assign(new Error('HTTP-Code: 409'), {
    code: 409,
    body: JSON.stringify({
      kind: 'Status',
      status: 'Failure',
      reason: 'Conflict',
      code: 409,
      details: { name: 'coderun-sandbox', kind: 'resourcequotas' },
      message:
        'Operation cannot be fulfilled on resourcequotas "coderun-sandbox": the object has been modified; please apply your changes to the latest version and try again',
    }),
  });
}

/** A create whose name is taken. */
function alreadyExists(): Error {
  return Object.assign(new Error('HTTP-Code: 409'), {
    code: 409,
    body: JSON.stringify({
      kind: 'Status',
      status: 'Failure',
      reason: 'AlreadyExists',
      code: 409,
      message: 'coderuns.coderun.dev "run-1" already exists',
    }),
  });
}

function serviceRefusing(
  times: number,
  refusal: () => Error = quotaPending,
): { service: RunService; calls: () => number } {
  let calls = 0;
  const runs = {
    async create(): Promise<CodeRun> {
      calls++;
      if (calls <= times) throw refusal();
      return makeRun();
    },
  } as unknown as CodeRunClient;
  const watcher = { markCreated() {} } as unknown as RunWatcher;
  return { service: serviceWith(runs, watcher), calls: () => calls };
}

/** A run service over stand-ins for the CodeRun client and the watch. */
function serviceWith(
  runs: CodeRunClient,
  watcher: RunWatcher,
  stageDone?: (stage: string, seconds: number) => void,
): RunService {
  return new RunService({
    config: loadApiConfig({ SANDBOX_EXECUTOR_MANAGER_API_TOKEN: 'x'.repeat(32) }),
    runs,
    watcher,
    policy: testPolicy(),
    log: createLogger('silent', 'test'),
    ...(stageDone ? { stageDone } : {}),
  });
}

const submission = {
  language: 'python',
  policy: 'python' as const,
  source: 'def main():\n    return 1\n',
  arguments: {},
};

test('a create refused while the quota is not counted yet is retried until it is accepted', async () => {
  const { service, calls } = serviceRefusing(2);
  const run = await service.create(submission, 'run-1');
  assert.is(run.metadata.name, 'hello');
  assert.is(calls(), 3);
});

test('the caller going away stops the wait: the refusal is thrown, the routes answer 429', async () => {
  const { service, calls } = serviceRefusing(Number.POSITIVE_INFINITY);
  const stop = new AbortController();
  setTimeout(() => stop.abort(), 100);
  const started = Date.now();
  const err = await service.create(submission, 'run-1', stop.signal).then(
    () => null,
    (e: unknown) => e,
  );
  assert.match(String((err as { body?: string })?.body), /status unknown for quota/);
  assert.ok(Date.now() - started < 2000, `gave up ${Date.now() - started} ms after the abort`);
  assert.is(calls(), 1);
});

test('a create that lost a race on the quota (409 on resourcequotas) is tried again at once', async () => {
  const { service, calls } = serviceRefusing(3, quotaConflict);
  const started = Date.now();
  const run = await service.create(submission, 'run-1');
  assert.is(run.metadata.name, 'hello');
  assert.is(calls(), 4);
  assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
});

test('conflicts that do not clear are thrown after a bounded number of tries', async () => {
  const { service, calls } = serviceRefusing(Number.POSITIVE_INFINITY, quotaConflict);
  const err = await service.create(submission, 'run-1').then(
    () => null,
    (e: unknown) => e,
  );
  assert.match(String((err as { body?: string })?.body), /resourcequotas/);
  assert.is(calls(), 6);
});

test('a name that is taken is not retried', async () => {
  const { service, calls } = serviceRefusing(1, alreadyExists);
  const err = await service.create(submission, 'run-1').then(
    () => null,
    (e: unknown) => e,
  );
  assert.match(String((err as { body?: string })?.body), /already exists/);
  assert.is(calls(), 1);
});

test('a submission that is answered times its three stages: the policy check, the create and the wait', async () => {
  const done = makeRun({}, { phase: 'Succeeded', reason: 'Completed' });
  let outcome: (run: CodeRun) => void = () => {};
  const finished = new Promise<CodeRun>((resolve) => {
    outcome = resolve;
  });
  const runs = { create: async () => makeRun() } as unknown as CodeRunClient;
  const watcher = { markCreated() {}, wait: () => finished, forget() {} } as unknown as RunWatcher;
  const stages: [string, number][] = [];
  const service = serviceWith(runs, watcher, (stage, seconds) => {
    stages.push([stage, seconds]);
    // The outcome arrives 30 ms after the create stage ended, whatever the machine's load (scheduled from
    // the create itself, a preempted process could reach the wait's start after the outcome's timer had run).
    if (stage === 'create') setTimeout(() => outcome(done), 30);
  });
  const answer = await service.submit(submission, { until: 'outcome' }, new AbortController().signal);
  assert.is(answer.kind, 'finished');
  assert.equal(
    stages.map(([stage]) => stage),
    ['check', 'create', 'wait'],
  );
  const wait = stages.find(([stage]) => stage === 'wait')?.[1] ?? 0;
  assert.ok(wait >= 0.025 && wait < 30, `wait ${wait} s`);
});

test.run();
