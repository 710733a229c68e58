/**
 * How much of what each socket wrote its peer is still unacknowledged, from the kernel: through
 * `ss` filtered by ebb's local ports (ss-tcp.ts) and, where `ss` is missing or fails, from
 * /proc/net/tcp{,6} (proc-net-tcp.ts). Both give the same figure (the kernel's
 * write_seq - snd_una; a sent FIN counts as one byte). Linux only; elsewhere every socket
 * reads as unknown (absent from the map).
 */
import { readProcNetTcp } from './proc-net-tcp.js';
import { readSsTcp, type SsFailure } from './ss-tcp.js';
import type { TcpQueueSink } from './tcp-queue-sink.js';

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
   * Hands every socket on one of `localPorts` to `rows.sink`. If `ss` fails part-way, `rows`
   * is reset and filled again from /proc, so it never holds half of one sample.
   */
  async read(localPorts: ReadonlySet<number>, rows: TcpQueueRows): Promise<void> {
    if (localPorts.size === 0) return;
    if (this.current.kind === 'ss') {
      const failure = await readSsTcp(localPorts, rows.sink, this.ssCommand);
      if (failure === null) return;
      this.current = { kind: 'proc', why: failure };
      rows.reset();
    }
    await readProcNetTcp(localPorts, rows.sink);
  }

  /** Unacknowledged bytes per tcpKey of the sockets on `localPorts`. */
  async readSendQueues(localPorts: ReadonlySet<number>): Promise<Map<string, number>> {
    const queues = new Map<string, number>();
    await this.read(localPorts, {
      sink: (key, sendQueueBytes) => queues.set(key, sendQueueBytes),
      reset: () => queues.clear(),
    });
    return queues;
  }
}
