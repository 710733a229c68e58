/**
 * How much of what each socket wrote its peer is still unacknowledged, from the kernel: through
 * `ss` filtered in the kernel by ebb's ports (ss-tcp.ts) and, where `ss` is missing or fails,
 * from /proc/net/tcp{,6} (proc-net-tcp.ts). Both give the same figure (the kernel's
 * write_seq - snd_una; a sent FIN counts as one byte). Linux only; elsewhere the kernel
 * cannot be asked (null).
 */
import { readProcNetTcp } from './proc-net-tcp.js';
import { readSsTcp, type SsFailure } from './ss-tcp.js';
import type { SocketSelection, TcpQueueSink } from './tcp-table.js';

/** Which source a reader uses: `ss` until it fails once, then /proc for good. */
export type QueueSource =
  { readonly kind: 'ss' } | { readonly kind: 'proc'; readonly why: SsFailure };

/** Where a read puts its rows (e.g. a map), and how to empty it again. */
export interface TcpQueueRows {
  readonly sink: TcpQueueSink;
  reset(): void;
}

export class TcpQueueReader {
  private current: QueueSource = { kind: 'ss' };

  constructor(private readonly ssCommand = 'ss') {}

  get source(): QueueSource {
    return this.current;
  }

  /**
   * Hands every selected socket to `rows.sink`; false when the kernel cannot be asked. If `ss`
   * fails part-way, `rows` is reset and filled again from /proc: never half of one sample.
   */
  async read(selection: SocketSelection, rows: TcpQueueRows): Promise<boolean> {
    if (this.current.kind === 'ss') {
      const failure = await readSsTcp(selection, rows.sink, this.ssCommand);
      if (failure === null) return true;
      this.current = { kind: 'proc', why: failure };
      rows.reset();
    }
    return readProcNetTcp(selection, rows.sink);
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
