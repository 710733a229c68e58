/**
 * The contract between the HTTP/1.1 wire (`src/http`) and the static-file semantics
 * (`src/serve`). The wire parses a request into a ParsedRequest, asks a RequestHandler for a
 * Reply, writes it and streams its body; serve never sees a socket.
 */

/** One parsed request head. Header names are lower-case; repeated fields are kept in order. */
export interface ParsedRequest {
  readonly method: string;
  /** The request-target exactly as sent (origin-form, absolute-form, or `*`). */
  readonly target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly minorVersion: 0 | 1;
  readonly headers: ReadonlyArray<readonly [name: string, value: string]>;
}

/** Look up a header field; repeated fields are joined with ", " as RFC 9110 §5.3 allows. */
export function headerValue(request: ParsedRequest, name: string): string | undefined {
  let found: string | undefined;
  for (const [key, value] of request.headers) {
    if (key === name) found = found === undefined ? value : `${found}, ${value}`;
  }
  return found;
}

/** A piece of a response body: literal bytes, or an inclusive byte range of the reply's file. */
export type BodySegment =
  | { readonly kind: 'bytes'; readonly data: Buffer }
  | { readonly kind: 'file'; readonly start: number; readonly end: number };

/** Response header fields in the order they are sent. Date and Connection are added by the wire. */
export type HeaderList = ReadonlyArray<readonly [name: string, value: string]>;

/** What a handler answers. The wire owns the descriptor from then on and closes it. */
export interface Reply {
  readonly status: number;
  readonly headers: HeaderList;
  /** Body bytes in order; their total must equal the Content-Length header the handler set. */
  readonly body: ReadonlyArray<BodySegment>;
  /** The descriptor that `file` segments read from, opened once for this request. */
  readonly fd?: number;
  /** For the registry and the access log: the Range header this reply honoured, if any. */
  readonly range?: string;
  /** Close the connection after this reply (e.g. a 400 whose framing cannot be trusted). */
  readonly closeConnection?: boolean;
}

/**
 * Answers a request: at once when nothing is to be read from disk (a file held in memory, a
 * refusal), so that a cached file costs no promise and no microtask turn; else later.
 */
export type RequestHandler = (request: ParsedRequest) => Reply | Promise<Reply>;

/** Why ebb itself cut a connection, declared once: the drain, the metrics and the log read this. */
export const CUT_REASONS = ['timeout', 'deadline', 'stopped'] as const;
export type CutReason = (typeof CUT_REASONS)[number];

export function isCutReason(value: string | null): value is CutReason {
  return (CUT_REASONS as readonly (string | null)[]).includes(value);
}

/**
 * How the writing of a response ended ("written", what the access log reports): `complete` means
 * every byte was handed to the kernel, not that the client has them.
 */
export type WriteOutcome =
  | 'complete' // every byte handed to the kernel
  | 'aborted' // the client went away
  | 'error' // the file could not be read
  | CutReason; // timeout: accepted nothing for the write-idle timeout; deadline; stopped

/**
 * How the delivery of a connection's last reply ended, once its socket closed ("delivered", what
 * the drain counts): `delivered` when the client closed or acknowledged every byte.
 */
export type DeliveryOutcome = 'delivered' | 'aborted' | CutReason;

/**
 * Observes one connection: the registry implements it. Called on the hot path, so an
 * implementation must not allocate per call.
 */
export interface ConnectionObserver {
  onPhase(phase: ConnectionPhase): void;
  onRequestStart(request: ParsedRequest): void;
  /** The head is written; `bytesDue` is the body length that will be sent (0 for HEAD). */
  onResponseStart(request: ParsedRequest, reply: Reply, bytesDue: number): void;
  /** Body bytes handed to the kernel (or buffered by the socket) since the last call. */
  onBodyBytes(bytes: number): void;
  /** The response is written, or its writing ended early; called once per response. */
  onResponseWritten(outcome: WriteOutcome): void;
  /**
   * The socket closed. `delivery` says how a connection that was delivering its last reply
   * ended; null when it was doing anything else.
   */
  onClose(delivery: DeliveryOutcome | null): void;
}

/**
 * idle: between requests (nothing of the next one received yet); reading: a request head is
 * arriving; responding: the handler works or the reply is being written; delivering: the last
 * reply is written and half-closed, waiting for the client to take it; closed: ended.
 */
export type ConnectionPhase = 'reading' | 'idle' | 'responding' | 'delivering' | 'closed';
