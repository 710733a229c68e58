import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { contentTypeFor } from '../../../src/serve/content-type.js';

void describe('contentTypeFor', () => {
  const cases: Array<[string, string]> = [
    ['debian-12.iso', 'application/x-iso9660-image'],
    ['DEBIAN.ISO', 'application/x-iso9660-image'],
    ['index.html', 'text/html; charset=utf-8'],
    ['README.txt', 'text/plain; charset=utf-8'],
    ['style.css', 'text/css; charset=utf-8'],
    ['app.js', 'text/javascript; charset=utf-8'],
    ['data.json', 'application/json; charset=utf-8'],
    ['linux.tar.gz', 'application/gzip'],
    ['linux.tar.xz', 'application/x-xz'],
    ['SHA256SUMS.asc', 'application/pgp-keys'],
    ['logo.png', 'image/png'],
    ['README', 'application/octet-stream'],
    ['html', 'application/octet-stream'],
    ['.bashrc', 'application/octet-stream'],
    ['x.unknownext', 'application/octet-stream'],
    ['x.sha256', 'application/octet-stream'],
  ];
  for (const [name, type] of cases) void it(name, () => assert.equal(contentTypeFor(name), type));
});
