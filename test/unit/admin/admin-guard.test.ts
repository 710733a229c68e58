/** Who may use the admin listener: Host, Origin, Sec-Fetch-Site and the token, table-driven. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decideAdminRequest,
  hostNameOf,
  isOwnHost,
  type AdminPolicy,
  type AdminRequestHead,
} from '../../../src/admin/admin-guard.js';

const TCP: AdminPolicy = { boundHost: '127.0.0.1', token: 'sekrit' };
const UNIX: AdminPolicy = { boundHost: null, token: null };
const REMOTE: AdminPolicy = { boundHost: '0.0.0.0', token: 'sekrit' };

const head = (fields: Partial<AdminRequestHead>): AdminRequestHead => ({
  method: 'GET',
  host: '127.0.0.1:9000',
  origin: undefined,
  secFetchSite: undefined,
  authorization: undefined,
  ...fields,
});

const CASES: ReadonlyArray<readonly [string, AdminPolicy, Partial<AdminRequestHead>, number]> = [
  ['a plain GET', TCP, {}, 200],
  ['HEAD', TCP, { method: 'HEAD' }, 200],
  ['GET without Host (an HTTP/1.0 probe)', TCP, { host: undefined }, 200],
  // HAProxy's default `option httpchk`: no Host, no token; it must reach the readiness answer.
  ['OPTIONS without Host or token', TCP, { method: 'OPTIONS', host: undefined }, 200],
  ['POST without Host still needs the token', TCP, { method: 'POST', host: undefined }, 401],
  ['GET with a rebinding host name', TCP, { host: 'evil.example:9000' }, 403],
  ['GET with a name ending like an address', TCP, { host: '127.0.0.1.nip.io' }, 403],
  ['GET through ssh -L (another port)', TCP, { host: 'localhost:8081' }, 200],
  ['GET with [::1]', TCP, { host: '[::1]:9000' }, 200],
  ['GET with another address', TCP, { host: '10.1.2.3:9000' }, 403],
  ['GET with a malformed Host', TCP, { host: '127.0.0.1:9000/x' }, 403],
  ['POST without a token', TCP, { method: 'POST' }, 401],
  ['POST with a wrong token', TCP, { method: 'POST', authorization: 'Bearer nope' }, 401],
  [
    'POST with a token of another scheme',
    TCP,
    { method: 'POST', authorization: 'Basic sekrit' },
    401,
  ],
  ['POST with the token', TCP, { method: 'POST', authorization: 'Bearer sekrit' }, 200],
  ['PUT without a token', TCP, { method: 'PUT' }, 401],
  [
    'POST with the token, cross-origin',
    TCP,
    { method: 'POST', authorization: 'Bearer sekrit', origin: 'http://evil.example' },
    403,
  ],
  [
    'POST with the token, its own origin',
    TCP,
    { method: 'POST', authorization: 'Bearer sekrit', origin: 'http://127.0.0.1:9000' },
    200,
  ],
  [
    'POST with the token, Origin null (sandboxed page)',
    TCP,
    { method: 'POST', authorization: 'Bearer sekrit', origin: 'null' },
    403,
  ],
  [
    'POST with the token, Sec-Fetch-Site same-site (another localhost port)',
    TCP,
    { method: 'POST', authorization: 'Bearer sekrit', secFetchSite: 'same-site' },
    403,
  ],
  [
    'POST with the token, Sec-Fetch-Site none (typed by the user)',
    TCP,
    { method: 'POST', authorization: 'Bearer sekrit', secFetchSite: 'none' },
    200,
  ],
  ['unix: POST needs no token', UNIX, { method: 'POST', host: 'localhost' }, 200],
  [
    'unix: a cross-origin POST',
    UNIX,
    { method: 'POST', host: 'localhost', origin: 'http://a.b' },
    403,
  ],
  ['unix: a rebinding host', UNIX, { host: 'evil.example' }, 403],
  ['remote: GET by any address', REMOTE, { host: '192.0.2.7:9000' }, 200],
  ['remote: GET by a host name', REMOTE, { host: 'mirror.example.org:9000' }, 403],
  ['remote: POST still needs the token', REMOTE, { method: 'POST', host: '192.0.2.7:9000' }, 401],
];

for (const [what, policy, fields, status] of CASES) {
  void test(`${what} → ${status}`, () => {
    const verdict = decideAdminRequest(head(fields), policy);
    assert.equal(verdict.kind === 'allowed' ? 200 : verdict.status, status);
  });
}

const HOST_NAMES: ReadonlyArray<readonly [string, string | null]> = [
  ['127.0.0.1:9000', '127.0.0.1'],
  ['LOCALHOST', 'localhost'],
  ['[::1]:80', '::1'],
  ['[::1]', '::1'],
  ['a b', null],
  ['[::1]x', null],
  ['', null],
];

for (const [host, name] of HOST_NAMES) {
  void test(`hostNameOf(${JSON.stringify(host)}) is ${name}`, () => {
    assert.equal(hostNameOf(host), name);
  });
}

void test('an address bound exactly is its own host; a wildcard takes any address', () => {
  assert.equal(isOwnHost('192.0.2.7:1', '192.0.2.7'), true);
  assert.equal(isOwnHost('192.0.2.8:1', '192.0.2.7'), false);
  assert.equal(isOwnHost('[2001:db8::1]:1', '::'), true);
  assert.equal(isOwnHost('127.8.9.10:1', null), true);
});
