/** A server with its admin listener on a free loopback port, and downloads held in flight. */
import { startEbb, type EbbServer } from './ebb-process.js';
import { download, type Download } from './http-client.js';
import { adminPortOf } from './admin.js';

export interface AdminServerUnderTest {
  readonly server: EbbServer;
  readonly adminPort: number;
}

/** `ebb serve --listen 127.0.0.1:0 --admin 127.0.0.1:0 --access-log off EXTRA... ROOT`. */
export async function startWithAdmin(
  root: string,
  ...extra: string[]
): Promise<AdminServerUnderTest> {
  const server = await startEbb([
    '--listen',
    '127.0.0.1:0',
    '--admin',
    '127.0.0.1:0',
    '--access-log',
    'off',
    ...extra,
    root,
  ]);
  return { server, adminPort: adminPortOf(server.stderr.lines) };
}

export interface HeldDownload {
  /** Resolves once the response head has arrived: the download is in flight. */
  readonly gotHead: Promise<void>;
  readonly result: Promise<Download>;
}

/** A download read no faster than `bytesPerSecond`. */
export function throttledDownload(
  port: number,
  path: string,
  bytesPerSecond: number,
): HeldDownload {
  let headSeen!: () => void;
  const gotHead = new Promise<void>((resolve) => (headSeen = resolve));
  const result = download(port, path, { bytesPerSecond, onHead: () => headSeen() });
  return { gotHead, result };
}

/** `--listen 127.0.0.1:0 --admin 127.0.0.1:0 --access-log LOG ROOT`, for tests that read the log. */
export const argsWithAdminAndLog = (root: string, log: string): string[] => [
  '--listen',
  '127.0.0.1:0',
  '--admin',
  '127.0.0.1:0',
  '--access-log',
  log,
  root,
];
