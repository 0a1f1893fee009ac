import type { V1Lease } from '@kubernetes/client-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { leaseAction, leaseSpecFor } from '../../../src/kube/leader-election.ts';

const now = new Date('2026-11-21T12:00:00Z');
const held = (holder: string, renewedSecondsAgo: number): V1Lease => ({
  spec: {
    holderIdentity: holder,
    leaseDurationSeconds: 15,
    renewTime: new Date(now.getTime() - renewedSecondsAgo * 1000) as never,
    leaseTransitions: 2,
  },
});
const settings = {
  name: 'l',
  namespace: 'n',
  identity: 'me',
  leaseDurationSeconds: 15,
  renewDeadlineSeconds: 10,
  retryPeriodSeconds: 2,
};

test('a missing lease is created', () => {
  assert.is(leaseAction(null, 'me', now), 'create');
});

test('the holder renews its own lease', () => {
  assert.is(leaseAction(held('me', 5), 'me', now), 'renew');
});

test('a lease another candidate renewed recently is left alone', () => {
  assert.is(leaseAction(held('other', 14), 'me', now), 'wait');
});

test('a lease unrenewed for its whole duration is taken over', () => {
  assert.is(leaseAction(held('other', 15), 'me', now), 'acquire');
});

test('a released lease (no holder) is taken over at once', () => {
  assert.is(leaseAction({ spec: { leaseDurationSeconds: 1 } }, 'me', now), 'acquire');
});

test('taking over counts a transition; renewing does not', () => {
  assert.is(leaseSpecFor(held('other', 20), 'acquire', settings, now)?.leaseTransitions, 3);
  assert.is(leaseSpecFor(held('me', 1), 'renew', settings, now)?.leaseTransitions, 2);
  assert.is(leaseSpecFor(null, 'create', settings, now)?.holderIdentity, 'me');
});

test.run();
