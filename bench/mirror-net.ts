/**
 * The network the bench runs on. By default the whole run moves into a private network
 * namespace (`unshare -n`, root only) whose loopback has Ethernet's 1,500-byte MTU, the path
 * a mirror's clients reach it over. On the host's loopback (MTU 65,536) the kernel sizes send
 * buffers from a 64 KiB MSS: a slow client's socket queued 3 MB there against 74 KB at MTU
 * 1,500 (`ss -tm`, same client, same SO_RCVBUF). Filling those megabytes is most of what a
 * server spends on slow clients in a short run, and no client on the internet gets them. The
 * namespace also keeps the run's traffic apart from the rest of the machine's loopback, and
 * each connection starts from the kernel's defaults, not from what earlier ones taught it.
 *
 * `--net host` keeps the host's loopback; where the namespace cannot be made (not root), the
 * run stays there and the report says so.
 */
import { spawn, spawnSync } from 'node:child_process';

export type BenchNet = 'mirror' | 'host';

export const MIRROR_MTU = 1500;
/** Set in the re-executed bench: it already runs inside the namespace. */
const INSIDE_ENV = 'EBB_BENCH_NET_INSIDE';
/**
 * `tcp_no_metrics_save`: the kernel caches what it learned of a destination (cwnd, reordering)
 * when a connection closes, and every bench client is 127.0.0.1. After the wrk runs a new slow
 * client's send buffer started at 1.3 MB, not 100 KB (`ip tcp_metrics show`: cwnd 427,
 * reordering 190); a mirror's clients are each a destination of their own.
 */
const SETUP =
  `ip link set lo up mtu ${MIRROR_MTU} && sysctl -qw net.ipv4.tcp_no_metrics_save=1 && ` +
  'exec "$@"';

/** Whether this process is the bench re-executed inside the namespace. */
export function isInsideMirrorNet(): boolean {
  return process.env[INSIDE_ENV] === '1';
}

/** Whether a namespace with the mirror's loopback can be made here (root, `unshare`, `ip`). */
export function canMakeMirrorNet(): boolean {
  const probe = spawnSync('unshare', ['-n', 'sh', '-c', SETUP, 'sh', 'true'], { stdio: 'ignore' });
  return probe.status === 0;
}

/** The header's words for the network a run used. */
export function netDescription(net: BenchNet): string {
  return net === 'mirror'
    ? `private network namespace, loopback MTU ${MIRROR_MTU}`
    : 'host loopback (MTU 65536)';
}

/**
 * Runs this bench again inside a new namespace, with the same arguments, and resolves with its
 * exit code. Ctrl-C and SIGTERM reach it (it stops its servers by pid itself).
 */
export function rerunInMirrorNet(scriptPath: string, argv: readonly string[]): Promise<number> {
  const child = spawn(
    'unshare',
    ['-n', 'sh', '-c', SETUP, 'sh', process.execPath, scriptPath, ...argv],
    { stdio: 'inherit', env: { ...process.env, [INSIDE_ENV]: '1' } },
  );
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.once('error', () => resolve(1));
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal === null ? 1 : 128));
    });
  });
}
