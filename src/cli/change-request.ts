/**
 * What `ebb reload` and `ebb upgrade` share: find the server, then ask its admin listener
 * (`POST PATH`, which answers with the outcome once it is known) or, without one, send the
 * signal to the pid the pid file names.
 */
import { parseArgs } from 'node:util';
import { EbbError } from '../errors.js';
import { isEbbServer, readPidFile } from '../lifecycle/pid-file.js';
import { adminRequest, readBody } from './admin-client.js';
import { ADMIN_TARGET_OPTIONS, resolveAdminTarget } from './admin-target.js';

export interface ChangeRequest {
  readonly usage: string;
  readonly path: '/reload' | '/upgrade';
  readonly signal: 'SIGHUP' | 'SIGUSR2';
}

/** The outcome the server answered, or null when only a signal could be sent. */
export async function requestChange<T>(
  argv: readonly string[],
  change: ChangeRequest,
  out: NodeJS.WriteStream,
): Promise<T | null> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { ...ADMIN_TARGET_OPTIONS },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new EbbError('USAGE', `${(error as Error).message}\n${change.usage}`);
  }
  const target = resolveAdminTarget(values, change.usage);
  if (target.admin === null) {
    await signalServer(target.pidFile, change.signal, out);
    return null;
  }
  const response = await adminRequest(target.admin, 'POST', change.path);
  const body = await readBody(response);
  if (response.statusCode !== 200 && response.statusCode !== 422) {
    throw new EbbError(
      'ADMIN_FAILED',
      `POST ${change.path} failed: ${response.statusCode} ${body.trim()}`,
    );
  }
  return JSON.parse(body) as T;
}

async function signalServer(
  pidFile: string | null,
  signal: ChangeRequest['signal'],
  out: NodeJS.WriteStream,
): Promise<void> {
  const pid = pidFile === null ? null : await readPidFile(pidFile);
  if (pid === null || !isEbbServer(pid)) {
    throw new EbbError('NOT_RUNNING', `no ebb is running at pid file ${pidFile ?? ''}`);
  }
  process.kill(pid, signal);
  out.write(`sent ${signal} to ebb (pid ${pid}); its stderr tells the outcome\n`);
}
