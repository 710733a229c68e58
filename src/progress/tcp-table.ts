/**
 * What a reader of the kernel's TCP socket table is asked for, and what it hands on per socket.
 */

/**
 * The sockets to read: those on one of ebb's local ports and, when only a few connections need
 * a sample (the last replies being delivered, nobody looking), only those with one of their
 * peer ports. Sockets beyond the selection may come back too; a wanted one never goes missing
 * because of it.
 */
export interface SocketSelection {
  readonly localPorts: ReadonlySet<number>;
  /** null: every peer. */
  readonly peerPorts: ReadonlySet<number> | null;
}

/**
 * Per socket: its key (tcpKey) and its two queues. A callback, not a record per row: at 10,000
 * sockets a second a row should cost nothing.
 */
export type TcpQueueSink = (
  tcpKey: string,
  /** Written and not yet acknowledged by the peer (a sent FIN counts as one byte). */
  sendQueueBytes: number,
  /** Received and not yet read by the application. */
  receiveQueueBytes: number,
) => void;
