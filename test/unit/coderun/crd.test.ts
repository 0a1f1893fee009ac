import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toStructuralSchema } from '../../../src/coderun/crd.ts';

test('an unconstrained node becomes preserve-unknown-fields, but a default value stays data', () => {
  assert.equal(toStructuralSchema({ type: 'object', additionalProperties: {}, default: {} }), {
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    default: {},
  });
  assert.equal(toStructuralSchema({}), { 'x-kubernetes-preserve-unknown-fields': true });
});

test('zod safe-integer bounds and date-time patterns are dropped', () => {
  assert.equal(
    toStructuralSchema({
      type: 'integer',
      minimum: -Number.MAX_SAFE_INTEGER,
      maximum: Number.MAX_SAFE_INTEGER,
    }),
    { type: 'integer' },
  );
  assert.equal(toStructuralSchema({ type: 'string', format: 'date-time', pattern: '^x$' }), {
    type: 'string',
    format: 'date-time',
  });
});

test.run();
