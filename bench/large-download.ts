/**
 * Large-file throughput: concurrent downloads of the big file by a client that discards the
 * bytes, with the server's CPU time per GiB served.
 */
import { request, Agent } from 'node:http';
import { cpuSeconds } from './proc-stats.js';

export interface LargeResult {
  readonly megabytesPerS: number;
  readonly cpuSecondsPerGiB: number;
  readonly bytes: number;
}

function download(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      response.on('end', () => resolve(bytes));
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export async function measureLargeDownload(
  url: string,
  serverPid: number,
  clients: number,
  expectedBytes: number,
): Promise<LargeResult> {
  const agent = new Agent({ keepAlive: false, maxSockets: clients });
  try {
    const cpuBefore = cpuSeconds(serverPid);
    const startNs = process.hrtime.bigint();
    const sizes = await Promise.all(Array.from({ length: clients }, () => download(url, agent)));
    const elapsedS = Number(process.hrtime.bigint() - startNs) / 1e9;
    const cpu = cpuSeconds(serverPid) - cpuBefore;
    const short = sizes.filter((size) => size !== expectedBytes);
    if (short.length > 0) throw new Error(`short downloads: ${short.join(', ')} bytes`);
    const bytes = sizes.reduce((sum, size) => sum + size, 0);
    return {
      megabytesPerS: bytes / 1e6 / elapsedS,
      cpuSecondsPerGiB: cpu / (bytes / 2 ** 30),
      bytes,
    };
  } finally {
    agent.destroy();
  }
}
