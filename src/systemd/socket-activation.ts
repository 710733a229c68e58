/**
 * Socket activation as systemd hands it over (sd_listen_fds(3)): `LISTEN_FDS` descriptors from
 * fd 3, meant for the process `LISTEN_PID`, named by `LISTEN_FDNAMES` (`FileDescriptorName=` in
 * the .socket unit). Pure: reads an environment block, decides which fd is which listener.
 */

/** The first descriptor systemd passes (SD_LISTEN_FDS_START). */
export const FIRST_LISTEN_FD = 3;

/** More would be a unit written by mistake; a bound keeps the listener list small. */
export const MAX_LISTEN_FDS = 64;

/** The names ebb gives a role; a .socket unit sets one with `FileDescriptorName=`. */
export const LISTENER_NAMES = { public: 'public', admin: 'admin' } as const;

export type SocketActivation =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'inherited';
      /** Public listeners, in the order systemd passed them. */
      readonly publicFds: readonly number[];
      readonly adminFd: number | null;
    };

export type ActivationResult =
  | { readonly ok: true; readonly activation: SocketActivation }
  | { readonly ok: false; readonly problem: string };

type Env = Readonly<Record<string, string | undefined>>;

const COUNT = /^\d{1,3}$/;

const refuse = (problem: string): ActivationResult => ({ ok: false, problem });

/** What the environment hands to process `pid`; no LISTEN_FDS (or 0) means bind as configured. */
export function readSocketActivation(env: Env, pid: number): ActivationResult {
  const countText = env['LISTEN_FDS'];
  if (countText === undefined || countText === '' || countText === '0') {
    return { ok: true, activation: { kind: 'none' } };
  }
  if (!COUNT.test(countText) || Number(countText) > MAX_LISTEN_FDS) {
    return refuse(`LISTEN_FDS=${countText} is not a count of descriptors (1–${MAX_LISTEN_FDS})`);
  }
  const count = Number(countText);
  const target = env['LISTEN_PID'];
  if (target === undefined) return refuse('LISTEN_FDS is set but LISTEN_PID is not');
  if (target !== String(pid)) {
    return refuse(
      `LISTEN_PID=${target} names another process (ebb is pid ${pid}): the descriptors were ` +
        'handed to it, not to ebb; start ebb with exec, not under a wrapper that forks',
    );
  }
  const names = (env['LISTEN_FDNAMES'] ?? '').split(':');
  if (env['LISTEN_FDNAMES'] !== undefined && names.length !== count) {
    return refuse(`LISTEN_FDNAMES names ${names.length} descriptors but LISTEN_FDS=${count}`);
  }
  return assignRoles(count, env['LISTEN_FDNAMES'] === undefined ? [] : names);
}

/** fd 3… by name; unnamed descriptors (no LISTEN_FDNAMES) are public listeners. */
function assignRoles(count: number, names: readonly string[]): ActivationResult {
  const publicFds: number[] = [];
  let adminFd: number | null = null;
  for (let index = 0; index < count; index++) {
    const fd = FIRST_LISTEN_FD + index;
    const name = names[index] ?? LISTENER_NAMES.public;
    if (name === LISTENER_NAMES.public) publicFds.push(fd);
    else if (name === LISTENER_NAMES.admin && adminFd === null) adminFd = fd;
    else if (name === LISTENER_NAMES.admin) {
      return refuse(`two descriptors are named "admin" (fd ${adminFd} and fd ${fd}); ebb has one`);
    } else {
      return refuse(
        `fd ${fd} is named ${JSON.stringify(name)} (LISTEN_FDNAMES); ebb knows "public" and ` +
          '"admin": set FileDescriptorName= in the .socket unit',
      );
    }
  }
  return { ok: true, activation: { kind: 'inherited', publicFds, adminFd } };
}

/** The variables to remove once read, so no child of ebb mistakes the listeners for its own. */
export const ACTIVATION_VARIABLES = ['LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES'] as const;
