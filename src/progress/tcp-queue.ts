/**
 * How much of what each socket wrote its peer is still unacknowledged, from the kernel: through
 * `ss` filtered in the kernel by ebb's ports (ss-tcp.ts, run by ss-session.ts) and, where `ss` is missing or fails,
 * from /proc/net/tcp{,6} (proc-net-tcp.ts). Both give the same figure (the kernel's
 * write_seq - snd_una; a sent FIN counts as one byte). Linux only; elsewhere the kernel
 * cannot be asked (null).
 */
import { readCpuMs } from './cpu-clock.js';
import { readProcNetTcp } from './proc-net-tcp.js';
import { SsSession, type SsFailure } from './ss-session.js';
import type { SocketSelection, TcpQueueSink } from './tcp-table.js';

/**
 * Which source a reader uses: `ss` until it cannot work here (missing, failing, printing what
 * is not its format), then /proc for good. A timeout or a lost shell costs one sample's /proc.
 */
export type QueueSource =
  { readonly kind: 'ss' } | { readonly kind: 'proc'; readonly why: SsFailure };

/** Where a read puts its rows (e.g. a map), and how to empty it again. */
export interface TcpQueueRows {
  readonly sink: TcpQueueSink;
  reset(): void;
}

export class TcpQueueReader {
  private current: QueueSource = { kind: 'ss' };
  private readonly ss: SsSession;

  constructor(ssCommand = 'ss') {
    this.ss = new SsSession(ssCommand);
  }

  get source(): QueueSource {
    return this.current;
  }

  /**
   * Hands every selected socket to `rows.sink`; false when the kernel cannot be asked. If `ss`
   * fails part-way, `rows` is reset and filled again from /proc: never half of one sample.
   */
  async read(selection: SocketSelection, rows: TcpQueueRows): Promise<boolean> {
    if (this.current.kind === 'ss') {
      const failure = await this.ss.read(selection, rows.sink);
      if (failure === null) return true;
      if (failure.code !== 'TIMEOUT' && failure.code !== 'ENDED') {
        this.current = { kind: 'proc', why: failure };
      }
      rows.reset();
    }
    return readProcNetTcp(selection, rows.sink);
  }

  /**
   * CPU the reads have used outside this process so far: the `ss` shell and each `ss` it ran,
   * ms (0 with none running). Drops when the shell starts anew; callers take deltas.
   */
  outsideCpuMs(): number {
    const pid = this.ss.pid;
    return pid === null ? 0 : (readCpuMs(pid) ?? 0);
  }

  /** Ends the `ss` shell, if one runs. */
  close(): void {
    this.ss.close();
  }

  /** Unacknowledged bytes per tcpKey of the selected sockets; null if the kernel cannot say. */
  async readSendQueues(selection: SocketSelection): Promise<Map<string, number> | null> {
    const queues = new Map<string, number>();
    const known = await this.read(selection, {
      sink: (key, sendQueueBytes) => queues.set(key, sendQueueBytes),
      reset: () => queues.clear(),
    });
    return known ? queues : null;
  }
}
