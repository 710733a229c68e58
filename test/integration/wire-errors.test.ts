/**
 * Replies the wire itself gives (a head it cannot take, one that never arrives) carry
 * `X-Content-Type-Options: nosniff` like every other reply (issue 12 item 7), a `STATUS REASON`
 * text body, and close the connection.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir } from '../helpers/fixtures.js';
import { exchange } from '../helpers/raw-http.js';

after(stopAll);

const root = await makeTempDir();
after(root.remove);
const server = await startEbb([
  '--listen',
  '127.0.0.1:0',
  '--access-log',
  'off',
  '--header-timeout',
  '1s',
  root.path,
]);

const CASES: ReadonlyArray<readonly [name: string, bytes: string, status: number, text: string]> = [
  ['a missing Host', 'GET / HTTP/1.1\r\n\r\n', 400, 'Bad Request'],
  [
    'a request line over 8 KiB',
    `GET /${'a'.repeat(9000)} HTTP/1.1\r\nHost: a\r\n\r\n`,
    414,
    'URI Too Long',
  ],
  [
    'a head over 16 KiB',
    `GET / HTTP/1.1\r\nHost: a\r\nX: ${'b'.repeat(17000)}\r\n\r\n`,
    431,
    'Request Header Fields Too Large',
  ],
  ['HTTP/2.0', 'GET / HTTP/2.0\r\nHost: a\r\n\r\n', 505, 'HTTP Version Not Supported'],
  ['a head that never ends', 'GET / HTTP/1.1\r\nHost: a\r\n', 408, 'Request Timeout'],
];

for (const [name, bytes, status, text] of CASES) {
  test(`${name} → ${status} with nosniff, connection closed`, async () => {
    const { responses, ended } = await exchange(server.port, bytes);
    const [response] = responses;
    assert.equal(response?.status, status);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('connection'), 'close');
    assert.equal(response.body.toString(), `${status} ${text}\n`);
    assert.ok(ended);
  });
}
