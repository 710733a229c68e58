/**
 * What `ebb reload` and `ebb upgrade` share: find the server, then ask its admin listener
 * (`POST PATH`, which answers with the outcome once it is known) or, without one, send the
 * signal to the pid the pid file names, once it is shown to be the ebb that wrote it.
 */
import { EbbError } from '../errors.js';
import { parseCommandLine } from '../config/command-line.js';
import { adminRequest, readBody, responseError } from './admin-client.js';
import { ADMIN_TARGET_OPTIONS, resolveAdminTarget } from './admin-target.js';

export interface ChangeRequest {
  readonly command: 'reload' | 'upgrade';
  readonly path: '/reload' | '/upgrade';
  readonly signal: 'SIGHUP' | 'SIGUSR2';
}

/** The outcome the server answered, or null when only a signal could be sent. */
export async function requestChange<T>(
  argv: readonly string[],
  change: ChangeRequest,
  out: NodeJS.WriteStream,
): Promise<T | null> {
  const { values } = parseCommandLine(
    { command: change.command, options: { ...ADMIN_TARGET_OPTIONS } },
    argv,
  );
  const target = await resolveAdminTarget(values, change.command);
  if (target.endpoint === null) {
    const found = target.lookup;
    if (found?.kind !== 'running') {
      throw new EbbError('NOT_RUNNING', `no ebb is running: ${found?.why ?? 'no pid file given'}`);
    }
    signal(found.pid, change.signal);
    out.write(`sent ${change.signal} to ebb (pid ${found.pid}); its stderr tells the outcome\n`);
    return null;
  }
  const response = await adminRequest(target.endpoint, 'POST', change.path);
  if (response.statusCode !== 200 && response.statusCode !== 422) {
    throw await responseError(response, 'POST', change.path);
  }
  return JSON.parse(await readBody(response)) as T;
}

function signal(pid: number, name: ChangeRequest['signal']): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPERM') {
      throw new EbbError(
        'PERMISSION_DENIED',
        `permission denied: you may not signal ebb (pid ${pid})`,
        {
          cause: error,
        },
      );
    }
    throw new EbbError('NOT_RUNNING', `ebb (pid ${pid}) has just exited`, { cause: error });
  }
}
