/**
 * One HTTP/1.1 connection: reads request heads, asks the handler, writes replies in order,
 * and ends the way a mirror needs: after the last reply it half-closes and waits for the
 * client to take its bytes and close, instead of dropping them into the kernel and leaving.
 *
 * The phase is always visible (`phase`) and every change is reported to the observer, so the
 * lifecycle can drain without knowing HTTP.
 */
import { close } from 'node:fs';
import type { Socket } from 'node:net';
import { HeadReader } from './head-reader.js';
import type { HeadLimits } from './parse-request.js';
import { BodySender, bodyLength } from './send-body.js';
import { hasBody, serializeHead } from './write-head.js';
import type {
  ConnectionObserver,
  ConnectionPhase,
  ParsedRequest,
  Reply,
  RequestHandler,
  ResponseOutcome,
} from './types.js';

export interface ConnectionOptions {
  readonly headerTimeoutMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly writeIdleTimeoutMs: number;
  readonly limits: HeadLimits;
}

/** Stand-in request for a head that could not be parsed (logged as "-"). */
const UNPARSED: ParsedRequest = { method: '', target: '', minorVersion: 1, headers: [] };

export class HttpConnection {
  phase: ConnectionPhase = 'idle';
  /** Bytes of the socket that went out before the current reply's body (head included). */
  bodyStartSocketBytes = 0;
  private readonly heads = new HeadReader();
  private closeRequested = false;
  private closeAfterReply = false;
  private peerEnded = false;
  private sender: BodySender | null = null;
  private responding = false;
  private cutReason: ResponseOutcome | null = null;
  private headerTimer: NodeJS.Timeout | null = null;
  private deliveryTimer: NodeJS.Timeout | null = null;
  private allAcknowledged = false;

  constructor(
    readonly socket: Socket,
    private readonly handler: RequestHandler,
    private readonly observer: ConnectionObserver,
    private readonly options: ConnectionOptions,
  ) {
    socket.setNoDelay(true);
    socket.setTimeout(options.headerTimeoutMs);
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('timeout', this.onTimeout);
    socket.on('error', () => undefined); // 'close' follows and carries the outcome
    socket.on('close', this.onClose);
  }

  /** Bytes of this socket the kernel has taken (written and no longer buffered by Node). */
  get socketBytesInKernel(): number {
    return this.socket.bytesWritten - this.socket.writableLength;
  }

  /**
   * From now on every reply closes the connection and no further request is started. The
   * caller decides when an idle connection is closed (see closeIfIdle).
   */
  requestClose(): void {
    this.closeRequested = true;
  }

  /**
   * Ends the connection if no request has begun on it: half-closes and waits for the client, as
   * after a last reply, since an idle connection may still have its last reply in the kernel.
   */
  closeIfIdle(): boolean {
    if (this.phase !== 'idle') return false;
    this.deliver();
    return true;
  }

  /** Cuts the connection now, whatever it is doing; its reply (if any) ends with `outcome`. */
  cut(outcome: ResponseOutcome): void {
    if (this.phase === 'closed') return;
    this.cutReason ??= outcome;
    this.socket.destroy();
  }

  /** While delivering: the client acknowledged more bytes, so it is not stalled. */
  noteDeliveryProgress(): void {
    this.deliveryTimer?.refresh();
  }

  /**
   * While delivering: the client's kernel has acknowledged every byte. The connection still
   * waits for the client's own close (its application may not have read them yet); if that
   * never comes, the write-idle timeout ends it as delivered rather than as a cut.
   */
  noteAllAcknowledged(): void {
    this.allAcknowledged = true;
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.phase === 'delivering' || this.phase === 'closed') return;
    this.heads.append(chunk, this.options.limits);
    if (this.responding) {
      // Pipelined bytes wait for the reply in progress; stop reading if they pile up.
      if (this.heads.bufferedBytes > this.options.limits.maxHeadBytes) this.socket.pause();
      return;
    }
    this.parseNext();
  };

  private parseNext(): void {
    if (this.heads.bufferedBytes === 0) return;
    if (this.phase === 'idle') {
      this.setPhase('reading');
      this.socket.setTimeout(0);
      this.headerTimer = setTimeout(this.onHeaderTimeout, this.options.headerTimeoutMs);
    }
    const parsed = this.heads.next(this.options.limits);
    if (parsed.kind === 'incomplete') return;
    this.clearHeaderTimer();
    if (parsed.kind === 'invalid') {
      this.heads.clear();
      this.replyError(parsed.status);
      return;
    }
    // Content we do not read would be taken for the next request: answer, then close.
    const closeAfter = parsed.wantsClose || parsed.hasContent || this.closeRequested;
    this.startReply(parsed.request, closeAfter);
  }

  private startReply(request: ParsedRequest, closeAfter: boolean): void {
    this.responding = true;
    this.closeAfterReply = closeAfter;
    this.setPhase('responding');
    this.socket.setTimeout(this.options.writeIdleTimeoutMs);
    this.observer.onRequestStart(request);
    this.handler(request).then(
      (reply) => this.writeReply(request, reply),
      (error: unknown) => {
        console.error('ebb: request handler failed:', error);
        this.writeReply(request, plainReply(500, true));
      },
    );
  }

  private writeReply(request: ParsedRequest, reply: Reply): void {
    if (this.phase === 'closed') {
      if (reply.fd !== undefined) close(reply.fd, () => undefined);
      this.observer.onResponseStart(request, reply, 0);
      this.observer.onResponseEnd(this.cutReason ?? 'aborted');
      return;
    }
    if (reply.closeConnection === true || this.closeRequested || this.peerEnded) {
      this.closeAfterReply = true;
    }
    const token = this.closeAfterReply
      ? 'close'
      : request.minorVersion === 0
        ? 'keep-alive'
        : 'none';
    const head = serializeHead(reply.status, reply.headers, token);
    const withBody = hasBody(request.method, reply.status);
    const body = withBody ? reply.body : [];
    this.bodyStartSocketBytes = this.socket.bytesWritten + Buffer.byteLength(head, 'latin1');
    this.observer.onResponseStart(request, reply, bodyLength(body));
    const fd = withBody ? reply.fd : undefined;
    if (!withBody && reply.fd !== undefined) close(reply.fd, () => undefined);
    this.sender = new BodySender(this.socket, fd, body, head, this.observer, this.endReply);
    this.sender.start();
  }

  private readonly endReply = (outcome: ResponseOutcome): void => {
    this.sender = null;
    this.responding = false;
    this.observer.onResponseEnd(outcome);
    if (outcome !== 'complete') {
      this.socket.destroy();
      return;
    }
    // A drain may have begun while this reply was under way: start nothing more.
    if (this.closeAfterReply || this.closeRequested) {
      this.deliver();
      return;
    }
    this.setPhase('idle');
    this.socket.setTimeout(this.options.keepaliveTimeoutMs);
    this.socket.resume();
    this.parseNext();
  };

  /** Half-close and wait for the client's own close: only then has it got every byte. */
  private deliver(): void {
    this.heads.clear();
    this.setPhase('delivering');
    this.socket.setTimeout(0);
    this.socket.end();
    this.socket.resume();
    this.deliveryTimer = setTimeout(() => {
      if (this.allAcknowledged) this.socket.destroy();
      else this.cut('timeout');
    }, this.options.writeIdleTimeoutMs);
  }

  private replyError(status: number): void {
    this.observer.onRequestStart(UNPARSED);
    this.responding = true;
    this.closeAfterReply = true;
    this.setPhase('responding');
    this.writeReply(UNPARSED, plainReply(status, true));
  }

  private readonly onHeaderTimeout = (): void => {
    this.headerTimer = null;
    if (this.phase === 'reading') {
      this.heads.clear();
      this.replyError(408);
    }
  };

  private readonly onEnd = (): void => {
    this.peerEnded = true;
    if (this.phase === 'delivering') this.socket.destroy();
    else if (this.phase === 'idle' || this.phase === 'reading') this.socket.destroy();
    // responding: the client may still read; the reply ends the connection (closeAfterReply).
    else this.closeAfterReply = true;
  };

  private readonly onTimeout = (): void => {
    if (this.phase === 'responding') this.cut('timeout');
    else this.socket.destroy();
  };

  private readonly onClose = (hadError: boolean): void => {
    this.clearHeaderTimer();
    if (this.deliveryTimer !== null) clearTimeout(this.deliveryTimer);
    const sender = this.sender;
    const delivery =
      this.phase !== 'delivering' ? null : (this.cutReason ?? (hadError ? 'aborted' : 'complete'));
    this.phase = 'closed';
    // Without a sender, a handler still at work reports the outcome from writeReply.
    if (sender !== null) sender.abort(this.cutReason ?? 'aborted');
    this.observer.onPhase('closed');
    this.observer.onClose(delivery);
  };

  private setPhase(phase: ConnectionPhase): void {
    this.phase = phase;
    this.observer.onPhase(phase);
  }

  private clearHeaderTimer(): void {
    if (this.headerTimer !== null) {
      clearTimeout(this.headerTimer);
      this.headerTimer = null;
    }
  }
}

/** A short text reply for errors the wire itself answers. */
export function plainReply(status: number, closeConnection: boolean): Reply {
  const reason = STATUS_TEXT[status] ?? 'Error';
  const data = Buffer.from(`${status} ${reason}\n`, 'latin1');
  return {
    status,
    headers: [
      ['Content-Type', 'text/plain; charset=utf-8'],
      ['Content-Length', String(data.length)],
    ],
    body: [{ kind: 'bytes', data }],
    closeConnection,
  };
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  505: 'HTTP Version Not Supported',
};
