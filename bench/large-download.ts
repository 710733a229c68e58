/**
 * Large-file throughput: concurrent downloads of the big file, each by a curl process that
 * discards the bytes (curl leaves more of the 2 cores to the server than a Node client), with
 * the server's CPU time per GiB served.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pinned } from './cpu-pinning.js';
import { cpuSeconds } from './proc-stats.js';

const execFileAsync = promisify(execFile);

export interface LargeResult {
  readonly megabytesPerS: number;
  readonly cpuSecondsPerGiB: number;
  readonly bytes: number;
}

/** Bytes received; throws unless the status is 200. */
async function download(url: string, curlArgs: readonly string[]): Promise<number> {
  const [command = 'curl', ...args] = pinned('client', [
    'curl',
    '--silent',
    '--show-error',
    '--output',
    '/dev/null',
    '--write-out',
    '%{http_code} %{size_download}',
    ...curlArgs,
    url,
  ]);
  const { stdout } = await execFileAsync(command, args, { timeout: 300_000 });
  const [status, size] = stdout.trim().split(' ');
  if (status !== '200') throw new Error(`${url}: HTTP ${status}`);
  return Number(size);
}

export async function measureLargeDownload(
  url: string,
  serverPid: number,
  clients: number,
  expectedBytes: number,
  /** More curl options (HTTPS: `--cacert FILE`). */
  curlArgs: readonly string[] = [],
): Promise<LargeResult> {
  const cpuBefore = cpuSeconds(serverPid);
  const startNs = process.hrtime.bigint();
  const sizes = await Promise.all(Array.from({ length: clients }, () => download(url, curlArgs)));
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
}
