import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  DigestCache,
  digestKey,
  formatDigestLine,
  parseDigestLine,
} from '../../../src/mirror/digest-cache.js';
import { digestHeaders } from '../../../src/mirror/digest-headers.js';
import { linkHeaders } from '../../../src/mirror/link-header.js';
import { escapeXml, renderMetalink } from '../../../src/mirror/metalink.js';
import { peerLocations } from '../../../src/mirror/peers.js';
import { encodeUrlPath } from '../../../src/mirror/url-path.js';
import { describedSegments } from '../../../src/serve/serve-metalink.js';

const SHA = createHash('sha256').update('abc').digest();
const IDENTITY = {
  dev: 2049,
  ino: 1234,
  sizeBytes: 4096,
  mtimeMs: 1735689600123.456,
  ctimeMs: 1735689601000.5,
};

void describe('URL path of a served file', () => {
  const cases: Array<[readonly (string | Uint8Array)[], string]> = [
    [['debian', 'a.iso'], '/debian/a.iso'],
    [['a b', 'x&y?#;,<>"'], '/a%20b/x%26y%3F%23%3B%2C%3C%3E%22'],
    [['ü'], '/%C3%BC'],
    [[Buffer.from([0xfc, 0x2e, 0x74])], '/%FC.t'],
    [[], '/'],
  ];
  for (const [segments, expected] of cases) {
    void it(`${JSON.stringify(segments)} → ${expected}`, () => {
      assert.equal(encodeUrlPath(segments), expected);
    });
  }
});

void describe('Link fields (RFC 6249)', () => {
  const peers = peerLocations(
    ['https://b.example.org/debian', 'http://[::1]:81'],
    '/pool/a%20b.deb',
  );
  const cases: Array<[string, ReturnType<typeof peerLocations>, string | null, string[]]> = [
    ['no peers, no metalink', [], null, []],
    [
      'one field per peer, in order of preference',
      peers,
      null,
      [
        '<https://b.example.org/debian/pool/a%20b.deb>; rel=duplicate; pri=1',
        '<http://[::1]:81/pool/a%20b.deb>; rel=duplicate; pri=2',
      ],
    ],
    [
      'the metalink as describedby',
      peers.slice(0, 1),
      '/pool/a%20b.deb.meta4',
      [
        '<https://b.example.org/debian/pool/a%20b.deb>; rel=duplicate; pri=1',
        '</pool/a%20b.deb.meta4>; rel=describedby; type="application/metalink4+xml"',
      ],
    ],
  ];
  for (const [name, locations, metalink, expected] of cases) {
    void it(name, () => {
      const fields = linkHeaders(locations, metalink);
      assert.ok(fields.every(([field]) => field === 'Link'));
      assert.deepEqual(
        fields.map(([, value]) => value),
        expected,
      );
    });
  }
});

void describe('digest fields', () => {
  void it('Repr-Digest (RFC 9530) and Digest (RFC 3230) carry the same base64 sha-256', () => {
    const b64 = SHA.toString('base64');
    assert.deepEqual(digestHeaders(SHA), [
      ['Repr-Digest', `sha-256=:${b64}:`],
      ['Digest', `SHA-256=${b64}`],
    ]);
  });
});

void describe('Metalink 4 document', () => {
  const locations = [
    { url: 'http://here.example/a%20b.iso', priority: 1 },
    { url: 'https://b.example.org/x?a=1&b=2', priority: 2 },
  ];
  void it('lists size, sha-256 and every URL with its priority', () => {
    const xml = renderMetalink({
      name: 'a b.iso',
      sizeBytes: 42,
      sha256: SHA,
      locations,
      generator: 'ebb/1',
    });
    assert.match(
      xml,
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<metalink xmlns="urn:ietf:params:xml:ns:metalink">/,
    );
    assert.match(xml, /<file name="a b.iso">/);
    assert.match(xml, /<size>42<\/size>/);
    assert.match(xml, new RegExp(`<hash type="sha-256">${SHA.toString('hex')}</hash>`));
    assert.match(xml, /<url priority="1">http:\/\/here.example\/a%20b.iso<\/url>/);
    assert.match(xml, /<url priority="2">https:\/\/b.example.org\/x\?a=1&amp;b=2<\/url>/);
  });
  void it('has no hash element while the digest is unknown', () => {
    const xml = renderMetalink({
      name: 'a',
      sizeBytes: 0,
      sha256: null,
      locations,
      generator: 'ebb/1',
    });
    assert.doesNotMatch(xml, /<hash/);
  });
  const escapes: Array<[string, string]> = [
    ['<a href="x">&\'', '&lt;a href=&quot;x&quot;&gt;&amp;&apos;'],
    ['bell\x07tab\tnul\x00', 'bell\ufffdtab\tnul\ufffd'],
    ['lone \ud800 surrogate, pair 😀', 'lone \ufffd surrogate, pair 😀'],
  ];
  for (const [text, expected] of escapes) {
    void it(`escapes ${JSON.stringify(text)}`, () => assert.equal(escapeXml(text), expected));
  }
});

void describe('digest cache keying', () => {
  void it('distinct versions of a file have distinct keys', () => {
    const key = digestKey(IDENTITY);
    const variants = [
      { dev: 2050 },
      { ino: 1235 },
      { sizeBytes: 4097 },
      { mtimeMs: IDENTITY.mtimeMs + 0.001 },
      { ctimeMs: IDENTITY.ctimeMs + 1 },
    ];
    for (const variant of variants) {
      assert.notEqual(digestKey({ ...IDENTITY, ...variant }), key, JSON.stringify(variant));
    }
    assert.equal(digestKey({ ...IDENTITY }), key);
  });
  void it('a stored line reads back as the same key and digest', () => {
    const key = digestKey(IDENTITY);
    const parsed = parseDigestLine(formatDigestLine(key, SHA).trimEnd());
    assert.deepEqual(parsed, { key, digest: SHA });
  });
  const malformed = [
    '',
    '1 2 3 4 5',
    `1 2 3 4 5 ${'g'.repeat(64)}`,
    `1 2 3 4 5 ${'a'.repeat(63)}`,
    `-1 2 3 4 5 ${'a'.repeat(64)}`,
    `1 2 3 4 05 ${'a'.repeat(64)}`,
    `1 2 3 4 x ${'a'.repeat(64)}`,
  ];
  for (const line of malformed) {
    void it(`skips the malformed line ${JSON.stringify(line.slice(0, 20))}`, () => {
      assert.equal(parseDigestLine(line), null);
    });
  }
  void it('keeps at most maxEntries, least recently used out first', () => {
    const cache = new DigestCache(2);
    cache.set('a', SHA);
    cache.set('b', SHA);
    cache.get('a');
    cache.set('c', SHA);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('b'), undefined);
    assert.deepEqual(cache.get('a'), SHA);
    assert.deepEqual(cache.get('c'), SHA);
  });
});

void describe('the file a .meta4 path describes', () => {
  const cases: Array<[readonly (string | Buffer)[], readonly (string | Buffer)[] | null]> = [
    [
      ['pub', 'a.iso.meta4'],
      ['pub', 'a.iso'],
    ],
    [['a.iso'], null],
    [['.meta4'], null],
    [[], null],
    [[Buffer.from('\xfc.iso.meta4', 'latin1')], [Buffer.from('\xfc.iso', 'latin1')]],
  ];
  for (const [segments, expected] of cases) {
    void it(JSON.stringify(segments), () =>
      assert.deepEqual(describedSegments(segments), expected),
    );
  }
});
