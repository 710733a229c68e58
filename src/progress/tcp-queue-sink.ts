/**
 * What a reader of the kernel's socket table hands on per socket: its key (tcpKey) and its two
 * queues. A callback, not a record per row: at 10,000 sockets a second a row costs nothing.
 */
export type TcpQueueSink = (
  tcpKey: string,
  /** Written and not yet acknowledged by the peer (a sent FIN counts as one byte). */
  sendQueueBytes: number,
  /** Received and not yet read by the application. */
  receiveQueueBytes: number,
) => void;
