/**
 * Not a file server: Node's own HTTP server answering /1k.bin and /100k.bin from memory, read
 * once at start, with the validators a file server sends; 404 for anything else. No file system,
 * no ranges, no log, no limits. The request figures' floor for any server built on `node:http`
 * (`--request-floor`): ebb parses on `net` sockets itself and must do more per request than this.
 *
 * Usage: node-http.js ROOT PORT
 */
import { readFileSync, statSync } from 'node:fs';
import { createServer, type OutgoingHttpHeaders } from 'node:http';
import { join } from 'node:path';

const [root, port] = process.argv.slice(2);
if (root === undefined || port === undefined) throw new Error('usage: node-http.js ROOT PORT');

interface Held {
  readonly body: Buffer;
  readonly headers: OutgoingHttpHeaders;
}

function hold(name: string): Held {
  const path = join(root!, name);
  const body = readFileSync(path);
  const mtime = statSync(path).mtime;
  const seconds = Math.floor(mtime.getTime() / 1000);
  return {
    body,
    headers: {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(body.length),
      'Last-Modified': mtime.toUTCString(),
      ETag: `"${seconds.toString(16)}-${body.length.toString(16)}"`,
      'Accept-Ranges': 'bytes',
    },
  };
}

const held = new Map([
  ['/1k.bin', hold('1k.bin')],
  ['/100k.bin', hold('100k.bin')],
]);

createServer((request, response) => {
  const file = held.get(request.url ?? '');
  if (file === undefined) {
    response.writeHead(404, { 'Content-Length': '0' }).end();
    return;
  }
  response.writeHead(200, file.headers);
  response.end(request.method === 'HEAD' ? undefined : file.body);
}).listen(Number(port), '127.0.0.1', () => {
  console.log(`listening on 127.0.0.1:${port}`);
});
