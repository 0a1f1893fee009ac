// The error shapes the code branches on, as client-node throws them (an ApiException with the Status body).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  apiErrorMessage,
  apiErrorReason,
  isAlreadyExists,
  isConflict,
  isCreateConflict,
  isQuotaExceeded,
  isQuotaPending,
} from '../../../src/kube/client.ts';

function apiError(code: number, reason: string, message: string, asObject = false): Error {
  const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message };
  return Object.assign(new Error(`HTTP-Code: ${code}\nMessage: Unknown API Status Code!`), {
    code,
    body: asObject ? status : JSON.stringify(status),
  });
}

const quotaRace = apiError(
  409,
  'Conflict',
  'Operation cannot be fulfilled on resourcequotas "coderun-sandbox": the object has been modified; please apply your changes to the latest version and try again',
);
const taken = apiError(409, 'AlreadyExists', 'pods "run-1-abc" already exists');

test('a quota race on create is a conflict to retry, not an object that exists', () => {
  assert.ok(isConflict(quotaRace));
  assert.ok(isCreateConflict(quotaRace));
  assert.not.ok(isAlreadyExists(quotaRace));
  assert.is(apiErrorReason(quotaRace), 'Conflict');
});

test('a taken name is AlreadyExists, whether the body is text or parsed', () => {
  for (const err of [taken, apiError(409, 'AlreadyExists', 'pods "x" already exists', true)]) {
    assert.ok(isAlreadyExists(err));
    assert.not.ok(isCreateConflict(err));
    assert.is(apiErrorReason(err), 'AlreadyExists');
  }
});

test('quota refusals: exceeded and not yet counted', () => {
  const exceeded = apiError(403, 'Forbidden', 'pods "x" is forbidden: exceeded quota: q, requested: cpu=1');
  const pending = apiError(403, 'Forbidden', 'pods "x" is forbidden: status unknown for quota: q');
  assert.ok(isQuotaExceeded(exceeded));
  assert.not.ok(isQuotaPending(exceeded));
  assert.ok(isQuotaPending(pending));
  assert.not.ok(isQuotaExceeded(pending));
  assert.not.ok(isConflict(exceeded));
});

test("the API server's message is preferred over client-node's", () => {
  assert.match(apiErrorMessage(quotaRace), /^Operation cannot be fulfilled on resourcequotas/);
  assert.is(apiErrorReason(new Error('socket hang up')), undefined);
  assert.is(apiErrorMessage(new Error('socket hang up')), 'socket hang up');
});

test('a plain object (a WebSocket error or close event) is told by what it carries, never "[object Object]"', () => {
  assert.is(
    apiErrorMessage({ type: 'error', message: 'connect ECONNREFUSED 10.250.0.1:10250' }),
    'connect ECONNREFUSED 10.250.0.1:10250',
  );
  assert.is(apiErrorMessage({ type: 'close', code: 1006, reason: '' }), 'close 1006');
  assert.is(apiErrorMessage({ status: 'Failure' }), '{"status":"Failure"}');
  assert.is(apiErrorMessage({}), '[object Object]');
  const circular: { target?: unknown } = {};
  circular.target = circular;
  assert.is(apiErrorMessage(circular), '[object Object]', 'never throws');
  assert.is(apiErrorMessage(undefined), 'undefined');
});

test.run();
