// The fault campaign's verdict (test/chaos/verdict.ts): what counts as right, wrong, lost and orphaned.
import type { V1Pod } from '@kubernetes/client-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { internalError, type RagflowResult } from '../../src/api/ragflow/response.ts';
import { describeDeletes, podDeletes } from '../chaos/audit.ts';
import {
  type Answer,
  classifyAnswer,
  failures,
  formatTable,
  type InjectionResult,
  losses,
  lostRuns,
  orphanPods,
  type RunSighting,
  tableRows,
} from '../chaos/verdict.ts';

const EXPECTED = { a: 100_001, product: 300_003 };

function success(value: unknown): RagflowResult {
  return {
    status: 'success',
    stdout: '',
    stderr: '',
    exit_code: 0,
    detail: null,
    time_used_ms: 3000,
    memory_used_kb: null,
    resource_limit_type: null,
    unauthorized_access_type: null,
    runtime_error_type: null,
    artifacts: [],
    result: { present: true, value, type: 'json' },
  };
}

test('an answer is right only when it is a success carrying exactly the expected value', () => {
  assert.is(classifyAnswer({ kind: 'reply', status: 200, body: success(EXPECTED) }, EXPECTED).kind, 'right');
  const other = classifyAnswer(
    { kind: 'reply', status: 200, body: success({ a: 100_002, product: 300_003 }) },
    EXPECTED,
  );
  assert.is(other.kind, 'wrong');
  assert.match(other.detail, /100002/);
  assert.is(
    classifyAnswer({ kind: 'reply', status: 200, body: { ...success(null), result: null } }, EXPECTED).kind,
    'wrong',
  );
});

test('an error the caller can tell from an answer is clean; a body without a status is wrong', () => {
  const failed = classifyAnswer(
    { kind: 'reply', status: 500, body: internalError('the run failed: PodDeleted') },
    EXPECTED,
  );
  assert.is(failed.kind, 'clean error');
  assert.match(failed.detail, /PodDeleted/);
  const bare = {
    kind: 'reply',
    status: 502,
    body: { message: 'bad gateway' } as unknown as RagflowResult,
  } as const;
  assert.is(classifyAnswer(bare, EXPECTED).kind, 'wrong');
});

test('a refused or cut connection is a connection error', () => {
  const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
  const answer = classifyAnswer({ kind: 'failed', error: refused }, EXPECTED);
  assert.equal(answer, { kind: 'connection error', detail: 'fetch failed (ECONNREFUSED)' });
});

test('a body that is not JSON is a wrong answer', () => {
  const garbled = new Error('POST /run answered 200 with a body that is not JSON: <html>');
  assert.is(classifyAnswer({ kind: 'failed', error: garbled }, EXPECTED).kind, 'wrong');
});

test('silence, or a request aborted by its timeout, is no answer', () => {
  assert.is(classifyAnswer({ kind: 'timeout' }, EXPECTED).kind, 'no answer');
  const aborted = Object.assign(new Error('The operation was aborted due to timeout'), {
    name: 'TimeoutError',
  });
  assert.is(classifyAnswer({ kind: 'failed', error: aborted }, EXPECTED).kind, 'no answer');
});

const sighting = (phase: string | undefined, reason: string | undefined, gone = false): RunSighting => ({
  name: `run-${phase}-${reason}`,
  status: phase ? ({ phase, reason } as RunSighting['status']) : undefined,
  gone,
});

test('a run is lost unless it was last seen in a terminal phase with a reason', () => {
  const runs = [
    sighting('Succeeded', 'Completed'),
    sighting('Failed', 'PodDeleted', true),
    sighting('Running', 'Started'),
    sighting('Running', 'Started', true),
    sighting(undefined, undefined),
    sighting('Failed', undefined),
  ];
  assert.equal(lostRuns(runs), [
    'run-Running-Started Running/Started',
    'run-Running-Started deleted while Running/Started',
    'run-undefined-undefined without a phase/-',
    'run-Failed-undefined Failed/-',
  ]);
});

function pod(name: string, owner?: { kind: string; uid: string }, deleting = false): V1Pod {
  return {
    metadata: {
      name,
      ...(deleting ? { deletionTimestamp: new Date() } : {}),
      ...(owner
        ? {
            ownerReferences: [
              { apiVersion: 'coderun.dev/v1alpha1', ...owner, name: `${owner.kind}-x`, controller: true },
            ],
          }
        : {}),
    },
    status: { phase: 'Running' },
  };
}

test('a sandbox Pod is orphaned unless a live run or a pool is its controller, even while it terminates', () => {
  const live = new Set(['run-live', 'pool']);
  const pods = [
    pod('of-live-run', { kind: 'CodeRun', uid: 'run-live' }),
    pod('idle', { kind: 'SandboxPool', uid: 'pool' }),
    pod('of-finished-run', { kind: 'CodeRun', uid: 'run-done' }),
    pod('terminating', { kind: 'CodeRun', uid: 'run-done' }, true),
    pod('ownerless'),
  ];
  assert.equal(orphanPods(pods, live), [
    'of-finished-run (Running, owner CodeRun/CodeRun-x)',
    'terminating (Running, terminating, owner CodeRun/CodeRun-x)',
    'ownerless (Running, owner none)',
  ]);
});

const right: Answer = { kind: 'right', detail: '' };
const refused: Answer = { kind: 'connection error', detail: 'fetch failed (ECONNRESET)' };

function result(fields: Partial<InjectionResult>): InjectionResult {
  return {
    fault: 'etcd',
    allowed: ['right'],
    inFlight: [right, right],
    others: [refused, right],
    runs: [sighting('Succeeded', 'Completed')],
    orphans: [],
    recoverMs: 4200,
    ...fields,
  };
}

test('an injection that kept every promise has no failures', () => {
  assert.equal(failures(result({})), []);
  assert.equal(failures(result({ allowed: ['right', 'connection error'], inFlight: [refused, right] })), []);
});

test('a loss is a broken promise but an error a caller in flight got: that is an answer', () => {
  const failed: Answer = { kind: 'clean error', detail: 'Execution timeout' };
  const late = result({ allowed: ['right', 'connection error'], inFlight: [failed, right] });
  assert.equal(failures(late), ['etcd: a caller in flight got a clean error: Execution timeout']);
  assert.equal(losses(late), []);
  assert.equal(losses(result({ inFlight: [{ kind: 'no answer', detail: 'bound' }] })), [
    'etcd: a caller in flight got no answer: bound',
  ]);
  const wrong: Answer = { kind: 'wrong', detail: 'HTTP 200 success with 1' };
  assert.equal(losses(result({ others: [wrong], orphans: ['p'], recoverMs: null })), [
    'etcd: wrong answer: HTTP 200 success with 1',
    'etcd: orphan Pod: p',
    'etcd: no new request got the right answer within the bound',
  ]);
});

test('every broken promise is a failure, named by its fault', () => {
  const wrong: Answer = { kind: 'wrong', detail: 'HTTP 200 success with 1' };
  assert.equal(failures(result({ others: [wrong] })), ['etcd: wrong answer: HTTP 200 success with 1']);
  assert.equal(failures(result({ inFlight: [] })), ['etcd: no request was in flight when the fault struck']);
  assert.equal(failures(result({ inFlight: [{ kind: 'no answer', detail: 'bound' }] })), [
    'etcd: a caller in flight got no answer: bound',
  ]);
  assert.equal(failures(result({ inFlight: [refused] })), [
    'etcd: a caller in flight got a connection error: fetch failed (ECONNRESET)',
  ]);
  const failed: Answer = { kind: 'clean error', detail: 'PodDeleted' };
  assert.equal(failures(result({ allowed: ['right', 'connection error'], inFlight: [failed] })), [
    'etcd: a caller in flight got a clean error: PodDeleted',
  ]);
  assert.equal(failures(result({ allowed: ['right', 'clean error'], inFlight: [failed, refused] })), [
    'etcd: a caller in flight got a connection error: fetch failed (ECONNRESET)',
  ]);
  assert.equal(failures(result({ allowed: ['right', 'clean error', 'wrong'], inFlight: [wrong] })), [
    'etcd: wrong answer: HTTP 200 success with 1',
  ]);
  assert.equal(failures(result({ runs: [sighting('Running', 'Started')] })), [
    'etcd: run not terminal with a reason: run-Running-Started Running/Started',
  ]);
  assert.equal(failures(result({ orphans: ['p (Running, owner none)'] })), [
    'etcd: orphan Pod: p (Running, owner none)',
  ]);
  assert.equal(failures(result({ recoverMs: null })), [
    'etcd: no new request got the right answer within the bound',
  ]);
});

test('the table has a row per fault in order, and a total', () => {
  const rows = tableRows([
    result({ fault: 'kubelet', recoverMs: 2000 }),
    result({ fault: 'etcd', recoverMs: 9000, others: [{ kind: 'wrong', detail: '' }], orphans: ['p'] }),
    result({ fault: 'kubelet', recoverMs: null, runs: [sighting('Running', 'Started')] }),
  ]);
  assert.equal(rows, [
    ['kubelet', '2', '4', '4', '0', '0', '1/2', '0', '2.0 / 2.0 (1 never)'],
    ['etcd', '1', '2', '2', '0', '1', '1/1', '1', '9.0 / 9.0'],
    ['all', '3', '6', '6', '0', '1', '2/3', '1', '2.0 / 9.0 (1 never)'],
  ]);
  const table = formatTable(rows).split('\n');
  assert.is(table.length, 5);
  assert.match(table[0] as string, /^\| fault \| injections \| runs in flight \|/);
});

const auditLine = (fields: Record<string, unknown>) =>
  JSON.stringify({
    kind: 'Event',
    stage: 'ResponseComplete',
    verb: 'delete',
    objectRef: { resource: 'pods', namespace: 'coderun-sandbox', name: 'py-abc12' },
    user: { username: 'system:serviceaccount:kube-system:generic-garbage-collector' },
    userAgent:
      'kube-controller-manager/v1.36.3 (linux/amd64) kubernetes/abc/system:serviceaccount:kube-system:generic-garbage-collector',
    requestReceivedTimestamp: '2026-12-03T03:21:00.280000Z',
    responseStatus: { code: 200 },
    ...fields,
  });

test("the audit log names who deleted a namespace's Pods, and only Pod deletes count", () => {
  const log = [
    auditLine({}),
    auditLine({ objectRef: { resource: 'pods', namespace: 'other', name: 'py-abc12' } }),
    auditLine({ verb: 'get' }),
    auditLine({ objectRef: { resource: 'configmaps', namespace: 'coderun-sandbox', name: 'py-abc12' } }),
    auditLine({
      objectRef: { resource: 'pods', namespace: 'coderun-sandbox', name: 'run-1-sandbox' },
      user: { username: 'system:serviceaccount:coderun:coderun-controller' },
      userAgent: 'coderun-controller',
      responseStatus: { code: 409 },
    }),
    '{"cut by rotation',
    '',
  ].join('\n');
  const deletes = podDeletes(log, 'coderun-sandbox');
  assert.equal(
    deletes.map((d) => [d.pod, d.user, d.code]),
    [
      ['py-abc12', 'system:serviceaccount:kube-system:generic-garbage-collector', 200],
      ['run-1-sandbox', 'system:serviceaccount:coderun:coderun-controller', 409],
    ],
  );
  assert.equal(describeDeletes(deletes, new Set(['py-abc12'])), [
    'py-abc12 deleted at 2026-12-03T03:21:00.280000Z by system:serviceaccount:kube-system:generic-garbage-collector (kube-controller-manager/v1.36.3) -> 200',
  ]);
  assert.equal(describeDeletes(deletes, new Set(['elsewhere'])), []);
});

test.run();
