import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  formatBytes,
  formatMillicores,
  millicores,
  parseMemory,
  parseQuantity,
} from '../../../src/kube/quantity.ts';

test('quantities parse decimal and binary suffixes', () => {
  assert.is(parseQuantity('256Mi'), 256 * 2 ** 20);
  assert.is(parseQuantity('1G'), 1e9);
  assert.is(parseQuantity('1.5'), 1.5);
  assert.is(parseQuantity('1e3'), null);
  assert.is(parseQuantity('lots'), null);
});

test('cpu converts to and from millicores', () => {
  assert.is(millicores('500m'), 500);
  assert.is(millicores('1.5'), 1500);
  assert.is(formatMillicores(2000), '2');
  assert.is(formatMillicores(250), '250m');
});

test('memory formats as the largest exact binary unit', () => {
  assert.is(formatBytes(2 ** 30), '1Gi');
  assert.is(formatBytes(300 * 2 ** 20), '300Mi');
  assert.is(formatBytes(1000), '1000');
});

test('docker-style memory sizes use binary units', () => {
  assert.is(parseMemory('512k'), 512 * 1024);
  assert.is(parseMemory('256M'), 256 * 2 ** 20);
  assert.is(parseMemory('0.5Gi'), 2 ** 29);
  assert.is(parseMemory('100m0'), null);
});

test.run();
