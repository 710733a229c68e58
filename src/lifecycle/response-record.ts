/**
 * One record per response, handed to a fixed, ordered list of sinks (access log, metrics, drain),
 * as lighttpd's handle_request_done does: a sink reads the record it is given, never a
 * connection's mutable state. "Written" and "delivered" are separate events with separate types.
 */
import type { DeliveryOutcome, ParsedRequest, WriteOutcome } from '../http/types.js';

/** A response whose writing ended (every byte handed to the kernel, or why not). */
export interface ResponseRecord {
  readonly connectionId: number;
  readonly remoteAddress: string;
  /** `HOST:PORT` of the client, IPv6 in brackets. */
  readonly client: string;
  /** The request (method '' and target '' for a head that could not be parsed). */
  readonly request: ParsedRequest;
  readonly startedAtMs: number;
  readonly endedAtMs: number;
  readonly status: number;
  readonly bytesDue: number;
  readonly bytesSent: number;
  /**
   * For a reply cut while being written: the body bytes the client had acknowledged at the cut
   * (a cut resets the connection, so that is what it received). Null otherwise, or when the
   * kernel cannot say.
   */
  readonly bytesAcked: number | null;
  readonly written: WriteOutcome;
}

/** A connection closed. `delivery` is set when it was delivering its last reply. */
export interface ClosedRecord {
  readonly connectionId: number;
  readonly lastResponse: ResponseRecord | null;
  readonly delivery: {
    readonly outcome: DeliveryOutcome;
    /** Body bytes of the last reply the client acknowledged. */
    readonly bytesAcked: number;
  } | null;
}

export interface ResponseSink {
  responseWritten(record: ResponseRecord): void;
  connectionClosed(record: ClosedRecord): void;
}
