/**
 * Not a server anyone should run: the least CPU a Node server can spend per byte sent to slow
 * clients with write(2), the floor under ebb's slow-client figures (`--slow-floor`). It answers
 * the first request on a connection with ROOT/big.bin whatever was asked, reads CHUNK bytes at
 * a time synchronously (no thread-pool hand-off) and writes each chunk as soon as the last one
 * was taken. No parsing, no limits, no log, no timers. Each client's unsent chunk stays pinned
 * while its send buffer is full, so at 64 KiB its memory per client is far over ebb's bound.
 *
 * Usage: node-floor.js ROOT PORT [CHUNK_BYTES]
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';

const [root, port, chunkText = '65536'] = process.argv.slice(2);
if (root === undefined || port === undefined) {
  throw new Error('usage: node-floor.js ROOT PORT [CHUNK_BYTES]');
}
const file = join(root, 'big.bin');
const chunkBytes = Number(chunkText);
const sizeBytes = statSync(file).size;

function sendFile(socket: Socket): void {
  const fd = openSync(file, 'r');
  let position = 0;
  let closed = false;
  socket.once('close', () => {
    closed = true;
    closeSync(fd);
  });
  const next = (error?: Error | null): void => {
    if (closed || error || position >= sizeBytes) return;
    const chunk = Buffer.allocUnsafe(Math.min(chunkBytes, sizeBytes - position));
    position += readSync(fd, chunk, 0, chunk.length, position);
    socket.write(chunk, next);
  };
  socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${sizeBytes}\r\n\r\n`, 'latin1');
  next();
}

createServer((socket) => {
  socket.on('error', () => undefined);
  socket.once('data', () => sendFile(socket));
}).listen(Number(port), '127.0.0.1', () => {
  console.log(`listening on 127.0.0.1:${port}`);
});
