/**
 * `ebb check [--config FILE] [flags]` (nginx -t, lighttpd -tt): everything `ebb serve` would
 * check before binding, without binding — the config, the root, the log, pid file and admin
 * paths, the listen addresses, the account, systemd's hand-over — then the effective settings
 * as TOML on stdout. Exit 0, or 2 with every problem listed.
 */
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { networkInterfaces } from 'node:os';
import { dirname } from 'node:path';
import { isIP } from 'node:net';
import { EXIT_STATUS, isEbbError } from '../errors.js';
import { loadServeConfig } from '../config/load-serve-config.js';
import type { ListenAddress, ServeConfig } from '../config/schema.js';
import { formatSettings } from '../config/format-settings.js';
import { lookUpServer } from '../lifecycle/pid-file.js';
import { accountToRunAs } from '../systemd/privileges.js';
import { readSocketActivation } from '../systemd/socket-activation.js';

export const CHECK_USAGE = `usage: ebb check [--config FILE] [ROOT] [flags of ebb serve]

Checks what ebb serve would check before binding, without binding: the configuration, the root,
the access log, pid file and admin paths, the listen addresses (local, and allowed to bind), the
--user account, and systemd's LISTEN_FDS. Prints the effective settings as TOML on stdout.
Exit status 0 when all is well, 2 with every problem listed on stderr.`;

type Problems = string[];

async function whyNot(path: string, mode: number): Promise<string | null> {
  try {
    await access(path, mode);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? 'does not exist'
      : code === 'EACCES'
        ? 'permission denied'
        : String(code);
  }
}

async function checkRoot(root: string, problems: Problems): Promise<void> {
  const real = await realpath(root).catch(() => null);
  if (real === null || !(await stat(real)).isDirectory()) {
    problems.push(`root ${root}: not an existing directory`);
    return;
  }
  const why = await whyNot(real, constants.R_OK | constants.X_OK);
  if (why !== null) problems.push(`root ${root}: cannot be read: ${why}`);
}

/** A file ebb will create or append to: the file writable, or its folder if it is missing. */
async function checkWritableFile(what: string, path: string, problems: Problems): Promise<void> {
  if ((await whyNot(path, constants.F_OK)) === null) {
    const why = await whyNot(path, constants.W_OK);
    if (why !== null) problems.push(`${what} ${path}: not writable: ${why}`);
    return;
  }
  const why = await whyNot(dirname(path), constants.W_OK);
  if (why !== null) problems.push(`${what} ${path}: cannot be created in ${dirname(path)}: ${why}`);
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

function localAddresses(): Set<string> {
  const addresses = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) addresses.add(info.address);
  }
  return addresses;
}

/** Whether binding ports below 1024 is allowed: root, CAP_NET_BIND_SERVICE, or the sysctl. */
function lowestUnprivilegedPort(): number {
  if (process.getuid?.() === 0) return 0;
  try {
    const status = readFileSync('/proc/self/status', 'latin1');
    const effective = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? '0'}`);
    if ((effective >> 10n) & 1n) return 0; // CAP_NET_BIND_SERVICE
    return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'latin1').trim());
  } catch {
    return 1024;
  }
}

async function checkListen(
  addresses: readonly ListenAddress[],
  bindsAsRoot: boolean,
  problems: Problems,
): Promise<void> {
  const local = localAddresses();
  const lowest = bindsAsRoot ? 0 : lowestUnprivilegedPort();
  for (const { host, port } of addresses) {
    const where = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    if (port !== 0 && port < lowest) {
      problems.push(`listen ${where}: port ${port} needs root or CAP_NET_BIND_SERVICE`);
    }
    if (WILDCARDS.has(host)) continue;
    const ips =
      isIP(host) === 0
        ? await lookup(host, { all: true }).then(
            (found) => found.map((a) => a.address),
            () => [],
          )
        : [host];
    if (ips.length === 0) problems.push(`listen ${where}: ${host} does not resolve`);
    else if (!ips.some((ip) => local.has(ip))) {
      problems.push(`listen ${where}: ${host} is not an address of this machine`);
    }
  }
}

async function checkPidFile(path: string, notes: string[], problems: Problems): Promise<void> {
  await checkWritableFile('pid file', path, problems);
  const found = await lookUpServer(path).catch(() => null);
  if (found?.kind === 'running')
    notes.push(`pid file ${path} names a running ebb (pid ${found.pid})`);
}

async function checkConfig(config: ServeConfig, notes: string[]): Promise<Problems> {
  const problems: Problems = [];
  await checkRoot(config.root, problems);
  if (config.accessLog.kind === 'file') {
    await checkWritableFile('access log', config.accessLog.path, problems);
  }
  if (config.pidFile !== null) await checkPidFile(config.pidFile, notes, problems);
  if (config.admin?.kind === 'unix') {
    await checkWritableFile('admin socket', config.admin.path, problems);
  }
  const account = await accountToRunAs(config, (line) => notes.push(line)).catch(
    (error: unknown) => {
      problems.push(isEbbError(error) ? error.message : String(error));
      return null;
    },
  );
  if (account !== null) notes.push(`would switch to ${account.user}:${account.group} once bound`);
  const activation = readSocketActivation(process.env, process.pid);
  if (!activation.ok) problems.push(`socket activation: ${activation.problem}`);
  else if (
    activation.activation.kind === 'inherited' &&
    activation.activation.publicFds.length > 0
  ) {
    notes.push('listen is replaced by the listeners systemd hands over');
  } else {
    await checkListen(config.listen, account !== null, problems);
  }
  return problems;
}

export async function runCheck(
  argv: readonly string[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  let config: ServeConfig;
  try {
    config = await loadServeConfig(argv, process.cwd());
  } catch (error) {
    if (!isEbbError(error)) throw error;
    err.write(`ebb check: ${error.message}\n`);
    return EXIT_STATUS.USAGE;
  }
  const notes: string[] = [];
  const problems = await checkConfig(config, notes);
  out.write(`${formatSettings(config)}\n`);
  for (const note of notes) err.write(`ebb check: note: ${note}\n`);
  for (const problem of problems) err.write(`ebb check: ${problem}\n`);
  if (problems.length === 0) {
    err.write('ebb check: configuration OK\n');
    return EXIT_STATUS.OK;
  }
  const noun = problems.length === 1 ? 'problem' : 'problems';
  err.write(`ebb check: ${problems.length} ${noun}\n`);
  return EXIT_STATUS.USAGE;
}
