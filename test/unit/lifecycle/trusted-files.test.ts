/** The rules for files others trust: owners, folders, and the start time of a process. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTrustedOwner, unsafeFolderReason } from '../../../src/lifecycle/trusted-files.js';
import { startTicksOf } from '../../../src/lifecycle/process-identity.js';

const OWNERS: ReadonlyArray<readonly [number, number | null, boolean]> = [
  [1000, 1000, true],
  [0, 1000, true],
  [1001, 1000, false],
  [0, 0, true],
  [65534, 0, false],
  [1000, 0, false],
  [1000, null, true],
];

for (const [owner, reader, trusted] of OWNERS) {
  void test(`a file of uid ${owner} read by uid ${reader}: ${trusted ? 'trusted' : 'refused'}`, () => {
    assert.equal(isTrustedOwner(owner, reader), trusted);
  });
}

const FOLDERS: ReadonlyArray<readonly [string, number, number, number, boolean]> = [
  ['0755 of ours', 0o40755, 1000, 1000, true],
  ['0700 of root, for root', 0o40700, 0, 0, true],
  ['0775 group-writable', 0o40775, 1000, 1000, false],
  ['0777 world-writable', 0o40777, 1000, 1000, false],
  ['1777 of root (/tmp)', 0o41777, 0, 1000, true],
  ['1777 of ours', 0o41777, 1000, 1000, true],
  ['1777 of another user', 0o41777, 1001, 1000, false],
  ['1777 of a user, for root', 0o41777, 1000, 0, false],
  ['0757 other-writable', 0o40757, 0, 0, false],
];

for (const [what, mode, owner, uid, fit] of FOLDERS) {
  void test(`a folder ${what}: ${fit ? 'fit' : 'refused'}`, () => {
    const reason = unsafeFolderReason({ mode, uid: owner }, uid);
    assert.equal(reason === null, fit, reason ?? '');
  });
}

const STATS: ReadonlyArray<readonly [string, string | null]> = [
  ['1234 (node) S 1 1234 1234 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 11 0 987654 1000 100', '987654'],
  // A command name with spaces and a parenthesis: fields are counted after the last `)`.
  ['77 (a) b (c) S 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 4242 1 1', '4242'],
  ['77 (short) S 1', null],
  ['', null],
];

for (const [line, ticks] of STATS) {
  void test(`startTicksOf(${JSON.stringify(line.slice(0, 20))}…) is ${ticks}`, () => {
    assert.equal(startTicksOf(line), ticks);
  });
}
