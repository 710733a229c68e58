import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_TARGET_CHARS,
  ResolvedTargets,
  resolveTarget,
} from '../../../src/serve/resolved-targets.js';

const TARGETS = [
  '/',
  '/pub/debian/dists/trixie/InRelease',
  '/a/./b/../c%2Fd/',
  '/%e9t%C3%A9.txt?x=1',
  'http://mirror.example/pub/x.iso',
  '/../etc/passwd',
  '/.git/config',
  '/a%00b',
  '*',
];

test('a remembered target resolves exactly as one resolved afresh, the second time too', () => {
  const targets = new ResolvedTargets('deny');
  for (const target of TARGETS) {
    const fresh = resolveTarget(target, 'deny');
    assert.deepEqual(targets.resolve(target), fresh, target);
    assert.deepEqual(targets.resolve(target), fresh, `${target} (remembered)`);
  }
});

test('the dotfile policy is the one it was made with', () => {
  assert.equal(new ResolvedTargets('deny').resolve('/.well-known/x').kind, 'not-found');
  assert.equal(new ResolvedTargets('allow').resolve('/.well-known/x').kind, 'resolved');
});

test('a remembered path keeps its segments in a buffer of its own, not a slice of the pool', () => {
  const targets = new ResolvedTargets('deny');
  targets.resolve('/pub/iso/tails.img');
  const where = targets.resolve('/pub/iso/tails.img');
  assert.equal(where.kind, 'resolved');
  if (where.kind !== 'resolved') return;
  const [first] = where.resolved.segments;
  assert.ok(first !== undefined);
  assert.equal(first.buffer.byteLength, 'pubisotails.img'.length);
});

test('bounded: at most the entries it was made for, the oldest out first; long targets never kept', () => {
  const targets = new ResolvedTargets('deny', 3);
  for (const name of ['a', 'b', 'c', 'd']) targets.resolve(`/${name}`);
  assert.equal(targets.size, 3);
  const long = `/${'x/'.repeat(MAX_TARGET_CHARS / 2)}`;
  assert.equal(targets.resolve(long).kind, 'resolved');
  assert.equal(targets.size, 3);
  for (let i = 0; i < 10_000; i++) targets.resolve(`/f?${i}`);
  assert.equal(targets.size, 3);
});
