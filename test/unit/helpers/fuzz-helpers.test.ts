import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateCase, Random, type FuzzTree } from '../../helpers/request-fuzz.js';
import { readResponseStream } from '../../helpers/response-stream.js';

const tree: FuzzTree = { paths: ['/', '/a'], escapes: ['/../x'] };

test('a seed always gives the same case, and cases differ between seeds', () => {
  assert.deepEqual(generateCase(42, tree), generateCase(42, tree));
  const distinct = new Set(
    Array.from({ length: 200 }, (_, i) => generateCase(i, tree).bytes.toString('latin1')),
  );
  assert.ok(distinct.size > 190, String(distinct.size));
  for (let seed = 0; seed < 500; seed++) {
    const { bytes, splits } = generateCase(seed, tree);
    assert.ok(
      splits.every((split, i) => split > 0 && split < bytes.length && split > (splits[i - 1] ?? 0)),
    );
  }
});

test('Random stays in range', () => {
  const random = new Random(1);
  for (let i = 0; i < 1000; i++) {
    const value = random.below(7);
    assert.ok(Number.isInteger(value) && value >= 0 && value < 7);
  }
});

const ok = (status: number, body: string, extra = ''): string =>
  `HTTP/1.1 ${status} X\r\nDate: d\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;

test('response streams: well-formed ones are read, broken ones named', () => {
  const cases: Array<[string, string, boolean, string]> = [
    ['two responses', ok(200, 'abc') + ok(404, 'no'), false, 'responses:2'],
    [
      'a HEAD response (no body) before another',
      'HTTP/1.1 200 X\r\nDate: d\r\nContent-Length: 5\r\n\r\n' + ok(200, 'x'),
      false,
      'responses:2',
    ],
    [
      'a HEAD response (no body) last',
      'HTTP/1.1 200 X\r\nDate: d\r\nContent-Length: 5\r\n\r\n',
      false,
      'responses:1',
    ],
    ['a 304 without Content-Length', 'HTTP/1.1 304 X\r\nDate: d\r\n\r\n', false, 'responses:1'],
    ['a short body', ok(200, 'abc').slice(0, -1), false, 'malformed'],
    ['a short body, cut by the client', ok(200, 'abc').slice(0, -1), true, 'responses:0'],
    ['a body longer than promised', `${ok(200, 'abc')}d`, false, 'malformed'],
    ['no Content-Length', 'HTTP/1.1 200 X\r\nDate: d\r\n\r\n', false, 'malformed'],
    ['no Date', 'HTTP/1.1 200 X\r\nContent-Length: 0\r\n\r\n', false, 'malformed'],
    [
      'a bad status line',
      'HTTP/1.0 200 X\r\nDate: d\r\nContent-Length: 0\r\n\r\n',
      false,
      'malformed',
    ],
    ['a bad field', ok(200, '', 'Bad Field: x\r\n'), false, 'malformed'],
    ['an unterminated head', 'HTTP/1.1 200 X\r\nDate', false, 'malformed'],
  ];
  for (const [name, text, truncated, expected] of cases) {
    const reading = readResponseStream(Buffer.from(text, 'latin1'), truncated);
    const got =
      reading.kind === 'responses' ? `responses:${reading.responses.length}` : 'malformed';
    assert.equal(got, expected, name);
  }
});
