import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  drainStatusLine,
  extensionSeconds,
  formatAbout,
  type DrainFigures,
} from '../../../src/systemd/drain-report.js';

const figures = (over: Partial<DrainFigures>): DrainFigures => ({
  connections: 12,
  downloads: 12,
  bytesLeft: 3.1 * 1024 ** 3,
  secondsLeft: 14 * 60,
  unknown: 0,
  ...over,
});

const LINES: ReadonlyArray<readonly [Partial<DrainFigures>, string]> = [
  [{}, 'draining: 12 downloads, 3.1 GiB left, last done in ~14 min'],
  [{ downloads: 1, bytesLeft: 1024 }, 'draining: 1 download, 1.0 KiB left, last done in ~14 min'],
  [{ unknown: 3 }, 'draining: 12 downloads, 3.1 GiB left, last done in ~14 min (3 not moving)'],
  [
    { secondsLeft: null },
    'draining: 12 downloads, 3.1 GiB left, no forecast yet (no download has a rate)',
  ],
  [{ downloads: 0, connections: 1 }, 'draining: no download left, 1 connection closing'],
  [{ secondsLeft: 0.2 }, 'draining: 12 downloads, 3.1 GiB left, last done in ~1 s'],
];

for (const [over, line] of LINES) {
  void test(`drainStatusLine: ${line}`, () => assert.equal(drainStatusLine(figures(over)), line));
}

const ABOUT: ReadonlyArray<readonly [number, string]> = [
  [0, '~1 s'],
  [44.6, '~45 s'],
  [89, '~1 min'],
  [14 * 60 + 20, '~14 min'],
  [2 * 3600 + 5 * 60, '~2 h 05 min'],
];

for (const [seconds, text] of ABOUT) {
  void test(`formatAbout(${seconds}) = ${text}`, () => assert.equal(formatAbout(seconds), text));
}

const EXTENSIONS: ReadonlyArray<
  readonly [string, DrainFigures | null, DrainFigures, number | null]
> = [
  ['first report with a forecast', null, figures({ secondsLeft: 100 }), 115],
  ['first report, no rate yet', null, figures({ secondsLeft: null }), null],
  [
    'bytes left went down',
    figures({ bytesLeft: 2000 }),
    figures({ bytesLeft: 1000, secondsLeft: 10 }),
    25,
  ],
  [
    'a download finished',
    figures({ downloads: 3 }),
    figures({ downloads: 2, secondsLeft: 1.2 }),
    17,
  ],
  ['nothing moved', figures({}), figures({}), null],
  [
    'nothing left to download',
    figures({ bytesLeft: 5 }),
    figures({ downloads: 0, bytesLeft: 0 }),
    null,
  ],
  ['capped at a day', null, figures({ secondsLeft: 10 * 86400 }), 86400],
];

for (const [name, previous, now, expected] of EXTENSIONS) {
  void test(`extensionSeconds: ${name}`, () =>
    assert.equal(extensionSeconds(previous, now, 5000), expected));
}
