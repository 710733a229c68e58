import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { failureFromError } from '../../../src/serve/fs-failure.js';
import type { Outcome } from '../../../src/serve/outcome.js';
import { replyFor } from '../../../src/serve/replies.js';

const errno = (code: string): Error => Object.assign(new Error(code), { code });
const header = (headers: ReadonlyArray<readonly [string, string]>, name: string) =>
  headers.find(([key]) => key === name)?.[1];

void describe('failureFromError', () => {
  const cases: Array<[string, Outcome['kind']]> = [
    ['ENOENT', 'not-found'],
    ['ENOTDIR', 'not-found'],
    ['ELOOP', 'not-found'],
    ['ENAMETOOLONG', 'not-found'],
    ['ENXIO', 'not-found'],
    ['EACCES', 'forbidden'],
    ['EPERM', 'forbidden'],
    ['EMFILE', 'unavailable'],
    ['ENFILE', 'unavailable'],
  ];
  for (const [code, kind] of cases) {
    void it(`${code} → ${kind}`, () => assert.equal(failureFromError(errno(code)).kind, kind));
  }

  void it('logs anything else with a short id that the 500 body shows', () => {
    const logged = mock.method(console, 'error', () => undefined);
    try {
      const failure = failureFromError(errno('EIO'));
      assert.equal(failure.kind, 'internal-error');
      const id = failure.kind === 'internal-error' ? failure.id : '';
      assert.match(id, /^[0-9a-f]{8}$/);
      assert.equal(logged.mock.callCount(), 1);
      assert.ok(String(logged.mock.calls[0]?.arguments[0]).includes(id));
      const reply = replyFor(failure, null);
      assert.equal(reply.status, 500);
      const body = reply.body[0]?.kind === 'bytes' ? reply.body[0].data.toString() : '';
      assert.equal(body, `500 Internal Server Error (id ${id})\n`);
      assert.ok(!body.includes('EIO'));
    } finally {
      logged.mock.restore();
    }
  });
});

void describe('replyFor: error replies', () => {
  const cases: Array<[Outcome, number, string, Array<[string, string]>]> = [
    [{ kind: 'bad-request' }, 400, '400 Bad Request\n', []],
    [{ kind: 'forbidden' }, 403, '403 Forbidden\n', []],
    [{ kind: 'not-found' }, 404, '404 Not Found\n', []],
    [{ kind: 'method-not-allowed' }, 405, '405 Method Not Allowed\n', [['Allow', 'GET, HEAD']]],
    [{ kind: 'precondition-failed' }, 412, '412 Precondition Failed\n', []],
    [
      { kind: 'range-not-satisfiable', sizeBytes: 1234 },
      416,
      '416 Range Not Satisfiable\n',
      [['Content-Range', 'bytes */1234']],
    ],
    [{ kind: 'unavailable' }, 503, '503 Service Unavailable\n', [['Retry-After', '5']]],
  ];
  for (const [outcome, status, text, extra] of cases) {
    void it(`${outcome.kind} → ${status}`, () => {
      const reply = replyFor(outcome, 'max-age=60');
      assert.equal(reply.status, status);
      assert.equal(header(reply.headers, 'Content-Type'), 'text/plain; charset=utf-8');
      assert.equal(header(reply.headers, 'Content-Length'), String(Buffer.byteLength(text)));
      assert.equal(header(reply.headers, 'Cache-Control'), undefined);
      for (const [name, value] of extra) assert.equal(header(reply.headers, name), value);
      assert.deepEqual(reply.body, [{ kind: 'bytes', data: Buffer.from(text) }]);
      assert.equal(reply.fd, undefined);
      assert.equal(reply.closeConnection, status === 405 ? true : undefined);
    });
  }

  void it('escapes a redirect location in its HTML body', () => {
    const reply = replyFor({ kind: 'redirect', location: '/a"<b>/?x=1&y' }, null);
    assert.equal(reply.status, 301);
    assert.equal(header(reply.headers, 'Location'), '/a"<b>/?x=1&y');
    const body = reply.body[0]?.kind === 'bytes' ? reply.body[0].data.toString() : '';
    assert.ok(body.includes('href="/a&quot;&lt;b&gt;/?x=1&amp;y"'));
  });
});
