import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCpuMs, readCpuMs } from '../../../src/progress/cpu-clock.js';

// /proc/self/stat of a node process (Linux 6.18), its name changed to hold a space and a ')'.
const STAT =
  '18888 (node ebb) x) S 18880 18888 18880 0 -1 4194304 31092 0 0 0 812 95 7 3 20 0 11 0 ' +
  '76512 1345966080 33419 18446744073709551615 1 1 0 0 0 0 0 16781312 134234626 0 0 0 17 1 0 0';

const CASES: ReadonlyArray<readonly [string, string, number | null]> = [
  ['utime 812 + stime 95 + cutime 7 + cstime 3 ticks', STAT, (812 + 95 + 7 + 3) * 10],
  ['cut short', '18888 (node) S 1 2 3', null],
  ['not a number', STAT.replace(' 812 ', ' x '), null],
];

for (const [name, text, ms] of CASES) {
  test(`parseCpuMs: ${name}`, () => assert.equal(parseCpuMs(text), ms));
}

test('readCpuMs reads this process (Linux)', () => {
  const ms = readCpuMs();
  assert.ok(ms === null || ms > 0);
});
