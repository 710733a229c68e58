/**
 * The programs the suite drives. Missing ones are installed with apt-get when running as root;
 * otherwise the exact command to run is printed and the suite stops.
 */
import { spawnSync } from 'node:child_process';

interface Tool {
  readonly command: string;
  readonly debianPackage: string;
}

const TOOLS: readonly Tool[] = [
  { command: 'wrk', debianPackage: 'wrk' },
  { command: 'nginx', debianPackage: 'nginx-light' },
  { command: 'lighttpd', debianPackage: 'lighttpd' },
  { command: 'python3', debianPackage: 'python3' },
  { command: 'curl', debianPackage: 'curl' },
  { command: 'getconf', debianPackage: 'libc-bin' },
];

const SBIN_PATH = '/usr/local/sbin:/usr/sbin:/sbin';

export function hasCommand(command: string): boolean {
  const found = spawnSync('bash', ['-c', `command -v ${command}`], {
    env: { ...process.env, PATH: `${process.env['PATH'] ?? ''}:${SBIN_PATH}` },
  });
  return found.status === 0;
}

function run(command: string, args: readonly string[]): void {
  const result = spawnSync(command, args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed`);
}

/** Installs what is missing (as root) or throws with the command to run. */
export function ensurePrerequisites(): void {
  process.env['PATH'] = `${process.env['PATH'] ?? ''}:${SBIN_PATH}`;
  const missing = TOOLS.filter((tool) => !hasCommand(tool.command)).map(
    (tool) => tool.debianPackage,
  );
  if (missing.length === 0) return;
  const install = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    throw new Error(`bench: missing programs; run as root:\n  ${install}`);
  }
  console.log(`bench: installing ${missing.join(' ')}`);
  run('apt-get', ['update']);
  run('apt-get', ['install', '-y', ...missing]);
}
