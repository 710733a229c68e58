import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planPrivileges, type PrivilegePlan } from '../../../src/systemd/privileges.js';

const CASES: ReadonlyArray<
  readonly [string, number, string | null, string | null, boolean, PrivilegePlan['kind']]
> = [
  ['root with --user drops', 0, 'www-data', null, false, 'drop'],
  ['root with --user and --group drops', 0, 'www-data', 'www-data', false, 'drop'],
  ['root alone is refused', 0, null, null, false, 'refuse'],
  ['root with --allow-root keeps root', 0, null, null, true, 'keep'],
  ['--user wins over --allow-root', 0, 'nobody', null, true, 'drop'],
  ['an ordinary user keeps itself', 1000, null, null, false, 'keep'],
  ['an ordinary user with --user: ignored, said', 1000, 'nobody', null, false, 'ignore'],
  ['--group without --user is refused', 0, null, 'adm', false, 'refuse'],
];

for (const [name, uid, user, group, allowRoot, kind] of CASES) {
  void test(`planPrivileges: ${name}`, () => {
    assert.equal(planPrivileges(uid, user, group, allowRoot).kind, kind);
  });
}

void test('planPrivileges: the refusal says what to do', () => {
  const plan = planPrivileges(0, null, null, false);
  assert.ok(plan.kind === 'refuse' && plan.code === 'ROOT_REFUSED');
  assert.match(plan.reason, /--user NAME .* --allow-root/);
});
