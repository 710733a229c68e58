import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatListingTime, renderListing, sortEntries } from '../../../src/serve/listing.js';
import type { ListingEntry } from '../../../src/serve/read-directory.js';

const MTIME = Date.UTC(2024, 0, 2, 3, 4, 59);
const file = (name: string | Buffer, sizeBytes = 1): ListingEntry => ({
  name: Buffer.from(name),
  isDirectory: false,
  sizeBytes,
  mtimeMs: MTIME,
});
const dir = (name: string): ListingEntry => ({
  name: Buffer.from(name),
  isDirectory: true,
  sizeBytes: 4096,
  mtimeMs: MTIME,
});

void describe('renderListing', () => {
  const cases: Array<[string, ListingEntry, string, string]> = [
    [
      'script name',
      file('<script>alert(1)</script>'),
      'href="%3Cscript%3Ealert(1)%3C%2Fscript%3E"',
      '>&lt;script&gt;alert(1)&lt;/script&gt;</a>',
    ],
    ['amp and quote', file('a&b"c'), 'href="a%26b%22c"', '>a&amp;b&quot;c</a>'],
    ['single quote', file("it's"), 'href="it&#39;s"', '>it&#39;s</a>'],
    [
      'space and unicode',
      file('café menu.txt'),
      'href="caf%C3%A9%20menu.txt"',
      '>café menu.txt</a>',
    ],
    ['hash and question mark', file('a#b?c'), 'href="a%23b%3Fc"', '>a#b?c</a>'],
    [
      'a name that is not UTF-8: raw bytes in the href, U+FFFD in the text',
      file(Buffer.from('latin1-\xe4.txt', 'latin1')),
      'href="latin1-%E4.txt"',
      '>latin1-\ufffd.txt</a>',
    ],
    [
      'colon cannot become a scheme',
      file('javascript:alert(1)'),
      'href="javascript%3Aalert(1)"',
      '',
    ],
    [
      'directory gets a slash',
      dir('sub <dir>'),
      'href="sub%20%3Cdir%3E/"',
      '>sub &lt;dir&gt;/</a>',
    ],
  ];
  for (const [name, entry, href, label] of cases) {
    void it(`escapes ${name}`, () => {
      const html = renderListing('/pub/', [entry]);
      assert.ok(html.includes(href), html);
      assert.ok(html.includes(label), html);
      assert.ok(!html.includes('<script>'));
    });
  }

  void it('escapes the title path', () => {
    const html = renderListing('/<b>&/', []);
    assert.ok(html.includes('<title>Index of /&lt;b&gt;&amp;/</title>'));
  });

  void it('links the parent except at the root', () => {
    assert.ok(renderListing('/pub/', []).includes('<a href="../">../</a>'));
    assert.ok(!renderListing('/', []).includes('href="../"'));
  });

  void it('shows size in bytes, "-" for directories, and UTC minutes', () => {
    const html = renderListing('/', [file('x.iso', 1234567890), dir('d')]);
    assert.ok(html.includes('<td>1234567890</td><td>2024-01-02 03:04</td>'));
    assert.ok(html.includes('<td>-</td><td>2024-01-02 03:04</td>'));
  });

  void it('declares UTF-8', () =>
    assert.ok(renderListing('/', []).includes('<meta charset="utf-8">')));
});

void describe('sortEntries', () => {
  void it('sorts by bytes, as LC_ALL=C ls does', () => {
    const latin1 = Buffer.from([0x61, 0xe4]);
    const sorted = sortEntries([file(latin1), file('a\u00e4'), file('b')]);
    assert.deepEqual(
      sorted.map((e) => e.name),
      [Buffer.from('a\u00e4'), latin1, Buffer.from('b')],
    );
  });

  void it('puts directories first, then files, each by name', () => {
    const sorted = sortEntries([file('b'), dir('z'), file('B'), dir('a'), file('a'), file('é')]);
    assert.deepEqual(
      sorted.map((e) => e.name.toString()),
      ['a', 'z', 'B', 'a', 'b', 'é'],
    );
  });
});

void describe('formatListingTime', () => {
  const cases: Array<[number, string]> = [
    [0, '1970-01-01 00:00'],
    [MTIME, '2024-01-02 03:04'],
    [Date.UTC(1999, 11, 31, 23, 59, 59, 999), '1999-12-31 23:59'],
  ];
  for (const [ms, text] of cases) void it(text, () => assert.equal(formatListingTime(ms), text));
});
