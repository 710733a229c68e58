import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codeLabel, methodLabel } from '../../../src/admin/metrics.js';

test('method labels are the known methods or `other`', () => {
  const cases: Array<[string, string]> = [
    ['GET', 'GET'],
    ['HEAD', 'HEAD'],
    ['TRACE', 'TRACE'],
    ['get', 'other'],
    ['M0000001XXXX', 'other'],
    ['', 'other'],
    ['PROPFIND', 'other'],
  ];
  for (const [method, label] of cases) assert.equal(methodLabel(method), label, method);
});

test('code labels are three-digit statuses or `other`', () => {
  const cases: Array<[number, string]> = [
    [200, '200'],
    [599, '599'],
    [0, 'other'],
    [1000, 'other'],
    [20.5, 'other'],
  ];
  for (const [status, label] of cases) assert.equal(codeLabel(status), label, String(status));
});
