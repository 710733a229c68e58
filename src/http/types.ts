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

export type RequestHandler = (request: ParsedRequest) => Promise<Reply>;

/** How a response ended, as the access log and the registry report it. */
export type ResponseOutcome =
  | 'complete' // every byte handed to the kernel
  | 'aborted' // the client went away
  | 'timeout' // the client accepted nothing for the write-idle timeout
  | 'deadline' // cut by the drain deadline
  | 'stopped' // cut by an immediate stop
  | 'error'; // the file could not be read

/**
 * Observes one connection: the registry implements it. Called on the hot path, so an
 * implementation must not allocate per call.
 */
export interface ConnectionObserver {
  onRequestStart(request: ParsedRequest): void;
  /** The head is written; `bytesDue` is the body length that will be sent (0 for HEAD). */
  onResponseStart(request: ParsedRequest, reply: Reply, bytesDue: number): void;
  /** Body bytes handed to the kernel (or buffered by the socket) since the last call. */
  onBodyBytes(bytes: number): void;
  onResponseEnd(outcome: ResponseOutcome): void;
  onPhase(phase: ConnectionPhase): void;
  /**
   * The socket closed. `delivery` says how a connection that was delivering its last reply
   * ended: `complete` when the client closed or acknowledged everything, else why it was cut.
   */
  onClose(delivery: ResponseOutcome | null): void;
}

/**
 * reading: a request head is arriving (at least one byte of it); idle: between requests on a
 * keep-alive connection (nothing received yet); responding: a reply is being written;
 * delivering: the last reply is written and half-closed, waiting for the client to take it.
 */
export type ConnectionPhase = 'reading' | 'idle' | 'responding' | 'delivering' | 'closed';
