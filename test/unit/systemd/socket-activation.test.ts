import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  readSocketActivation,
  type ActivationResult,
} from '../../../src/systemd/socket-activation.js';

const PID = 4242;

const CASES: ReadonlyArray<
  readonly [string, Record<string, string>, ActivationResult['ok'], RegExp | object]
> = [
  ['no LISTEN_FDS: bind as configured', {}, true, { kind: 'none' }],
  ['LISTEN_FDS=0', { LISTEN_FDS: '0', LISTEN_PID: '4242' }, true, { kind: 'none' }],
  [
    'one unnamed fd is public',
    { LISTEN_FDS: '1', LISTEN_PID: '4242' },
    true,
    { kind: 'inherited', publicFds: [3], adminFd: null },
  ],
  [
    'public and admin by name',
    { LISTEN_FDS: '3', LISTEN_PID: '4242', LISTEN_FDNAMES: 'public:admin:public' },
    true,
    { kind: 'inherited', publicFds: [3, 5], adminFd: 4 },
  ],
  [
    'admin only',
    { LISTEN_FDS: '1', LISTEN_PID: '4242', LISTEN_FDNAMES: 'admin' },
    true,
    { kind: 'inherited', publicFds: [], adminFd: 3 },
  ],
  [
    'another process',
    { LISTEN_FDS: '1', LISTEN_PID: '1' },
    false,
    /LISTEN_PID=1 names another process \(ebb is pid 4242\)/,
  ],
  ['no LISTEN_PID', { LISTEN_FDS: '1' }, false, /LISTEN_PID is not/],
  ['not a count', { LISTEN_FDS: 'x', LISTEN_PID: '4242' }, false, /LISTEN_FDS=x is not a count/],
  ['too many', { LISTEN_FDS: '65', LISTEN_PID: '4242' }, false, /1–64/],
  [
    'names and count disagree',
    { LISTEN_FDS: '2', LISTEN_PID: '4242', LISTEN_FDNAMES: 'public' },
    false,
    /names 1 descriptors but LISTEN_FDS=2/,
  ],
  [
    'an unknown name',
    { LISTEN_FDS: '2', LISTEN_PID: '4242', LISTEN_FDNAMES: 'public:ebb.socket' },
    false,
    /fd 4 is named "ebb\.socket"/,
  ],
  [
    'two admins',
    { LISTEN_FDS: '2', LISTEN_PID: '4242', LISTEN_FDNAMES: 'admin:admin' },
    false,
    /two descriptors are named "admin" \(fd 3 and fd 4\)/,
  ],
];

for (const [name, env, ok, expected] of CASES) {
  void test(`readSocketActivation: ${name}`, () => {
    const result = readSocketActivation(env, PID);
    assert.equal(result.ok, ok, JSON.stringify(result));
    if (result.ok) assert.deepEqual(result.activation, expected);
    else assert.match(result.problem, expected as RegExp);
  });
}
