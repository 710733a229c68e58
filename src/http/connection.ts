/**
 * One HTTP/1.1 connection: reads request heads, asks the handler, writes replies in order,
 * and ends the way a mirror needs: after the last reply it half-closes and waits for the
 * client to take its bytes and close, instead of dropping them into the kernel and leaving.
 *
 * What the connection is doing is one value, `phase`, carrying what that phase needs; every
 * change goes through `enter()`, which owns the phase's limit (PHASE_LIMITS) and reports the
 * change to the observer, so the lifecycle can drain without knowing HTTP. How the connection
 * ended is decided once, in `end()`, by whoever ends it.
 */
import { close } from 'node:fs';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { HeadReader } from './head-reader.js';
import type { HeadLimits } from './parse-request.js';
import { BodySender, UNPACED, bodyLength, type BodyEnd, type BodyPacer } from './send-body.js';
import { rememberedReplyBytes, type ReplyBytes } from './reply-bytes.js';
import { textReply } from './text-reply.js';
import { hasBody, serializeHead } from './write-head.js';
import {
  isCutReason,
  type ConnectionObserver,
  type CutReason,
  type DeliveryOutcome,
  type ParsedRequest,
  type Reply,
  type RequestHandler,
  type WriteOutcome,
} from './types.js';

export interface ConnectionOptions {
  readonly headerTimeoutMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly writeIdleTimeoutMs: number;
  /**
   * How long a closing connection stays open once nothing is left to deliver (every byte
   * acknowledged, or an error reply), reading and discarding what the client still sends so
   * that closing does not reset the connection under its last reply (nginx's lingering_close).
   */
  readonly lingerMs: number;
  readonly limits: HeadLimits;
}

/** What the drain may ask of a connection (the drain knows this interface, not the class). */
export interface DrainableConnection {
  /**
   * Close once the requests the client sent before now are answered, in order, the last with
   * `Connection: close`. "Before now": what Node has read plus `kernelQueuedBytes`, the bytes
   * the kernel has received and Node not yet read (rx_queue; not counted over TLS, whose bytes
   * in the kernel are still encrypted). An idle connection may still send one request (the
   * last-request window). A request sent later gets the late handler's answer, or none.
   */
  requestClose(kernelQueuedBytes?: number): void;
  /** Ends the connection if no request has begun on it; whether it did. */
  closeIfIdle(): boolean;
  /** Cuts the connection now, whatever it is doing; its reply (if any) ends with `reason`. */
  cut(reason: CutReason): void;
}

/** nginx's lingering_timeout. */
export const LINGER_MS = 5000;

/**
 * What a half-closed connection reads and discards before it stops waiting: enough for the
 * requests a client pipelined behind its last one, not for a flood (a client that keeps sending
 * after a 400 would otherwise be read at full speed for the whole linger).
 */
export const MAX_DISCARD_BYTES = 64 * 1024;

/** Stand-in request for a head that could not be parsed (logged as "-"). */
const UNPARSED: ParsedRequest = { method: '', target: '', minorVersion: 1, headers: [] };

/** How the connection ended: `complete` when it closed cleanly (or its last reply was delivered). */
type EndReason = WriteOutcome;

/**
 * Whether a drain asked the connection to close. Offsets count the request stream's bytes from
 * the connection's first: `receivedBeforeByte` is what the client had sent when it was asked,
 * `answerBeforeByte` where the last request answered as usual may begin (one past what was
 * consumed, for an idle connection's last-request window).
 */
type ClosePlan =
  | { readonly kind: 'open' }
  | {
      readonly kind: 'closing';
      readonly receivedBeforeByte: number;
      readonly answerBeforeByte: number;
      lateAnswered: boolean;
    };

type Phase =
  /** Nothing of the next request yet; `timeoutMs` is the header timeout on a fresh connection. */
  | { readonly kind: 'idle'; readonly timeoutMs: number }
  /** Part of a head has arrived; the header timeout runs from its first byte. */
  | { readonly kind: 'reading' }
  /** The handler works (`sender` null) or the reply is being written. */
  | {
      readonly kind: 'responding';
      readonly closeAfter: boolean;
      readonly sender: ReplyWriter | null;
      readonly errorReply: boolean;
    }
  /**
   * Half-closed after the last reply. `lingerMs` is set once nothing is left to wait for: how
   * long the client may still take to close before it is closed as delivered (null while bytes
   * are unacknowledged). `discardedBytes` counts what the client sent since (read, dropped).
   */
  | { readonly kind: 'delivering'; readonly lingerMs: number | null; discardedBytes: number }
  | {
      readonly kind: 'closed';
      readonly reason: EndReason;
      readonly delivery: DeliveryOutcome | null;
    };

/** What writes a reply: a body sender, or the writes of bytes made already. */
type ReplyWriter = Pick<BodySender, 'stop'>;

/** A remembered reply's bytes are handed to the socket whole: nothing to stop. */
const WRITTEN_AS_MADE: ReplyWriter = { stop: () => undefined };

/**
 * What ends a phase if nothing else does: a socket idle timeout (only while responding: writes
 * refresh it), or a timer from entry. An idle connection receives nothing without leaving idle,
 * so its limit is a timer too.
 */
type Limit = { readonly idleMs: number } | { readonly afterMs: number } | null;

function limitOf(phase: Phase, options: ConnectionOptions): Limit {
  switch (phase.kind) {
    case 'idle':
      return { afterMs: phase.timeoutMs };
    case 'reading':
      return { afterMs: options.headerTimeoutMs };
    case 'responding':
      return { idleMs: options.writeIdleTimeoutMs };
    case 'delivering':
      // Not refreshed by socket activity (nothing is written): delivery progress refreshes it.
      return { afterMs: phase.lingerMs ?? options.writeIdleTimeoutMs };
    case 'closed':
      return null;
  }
}

function deliveryOf(reason: EndReason): DeliveryOutcome {
  return reason === 'complete' ? 'delivered' : reason === 'error' ? 'aborted' : reason;
}

export class HttpConnection implements DrainableConnection {
  private phase: Phase;
  /**
   * The phase timer. Each request passes idle → responding → idle, so instead of a new timer per
   * phase, one is re-armed (`refresh()`) while its duration stays the same; a timer armed for an
   * earlier limit (`timerLimit` ≠ `limitCount`) fires for nothing.
   */
  private timer: NodeJS.Timeout | null = null;
  private timerMs = 0;
  private timerLimit = 0;
  /** Counts the limits applied: which one is current. */
  private limitCount = 0;
  /**
   * The socket's idle timeout, set while responding and then left in place (setting it makes a
   * new timer each time): outside responding it fires for nothing, and is set afresh on the next
   * response if it fired (`socketTimerSpent`; a write re-arms one that did not).
   */
  private socketIdleMs = 0;
  private socketTimerSpent = false;
  /** Bytes received and not yet parsed (pipelined requests wait here). */
  private readonly heads = new HeadReader();
  private closePlan: ClosePlan = { kind: 'open' };
  /** Bytes of the request stream received so far (handed to the head reader). */
  private receivedBytes = 0;
  /** The client has half-closed its side. */
  private peerEnded = false;
  /** Bytes of the socket that went out before the current reply's body (head included). */
  bodyStartSocketBytes = 0;
  /** The body bytes of the made reply being written (writeMade). */
  private madeBodyBytes = 0;

  constructor(
    readonly socket: Socket,
    private readonly handler: RequestHandler,
    private readonly observer: ConnectionObserver,
    private readonly options: ConnectionOptions,
    /** The rate limits' say before each chunk of a body (none by default). */
    private readonly pacer: BodyPacer = UNPACED,
    /** For a request that arrives after a drain asked the connection to close (503/redirect). */
    private readonly lateHandler: RequestHandler | null = null,
  ) {
    socket.setNoDelay(true);
    // A fresh connection is idle, limited by the header timeout (the registry counts it idle).
    this.phase = { kind: 'idle', timeoutMs: options.headerTimeoutMs };
    this.applyLimit();
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('timeout', this.onSocketTimeout);
    socket.on('error', () => this.end('aborted'));
    socket.on('close', this.onClose);
  }

  /** Bytes of this socket the kernel has taken (written and no longer buffered by Node). */
  get socketBytesInKernel(): number {
    return this.socket.bytesWritten - this.socket.writableLength;
  }

  requestClose(kernelQueuedBytes = 0): void {
    if (this.closePlan.kind === 'closing') return; // the first request's offsets stand
    const inKernel = this.socket instanceof TLSSocket ? 0 : kernelQueuedBytes;
    const receivedBeforeByte = this.receivedBytes + this.socket.readableLength + inKernel;
    const window = this.phase.kind === 'idle' ? this.consumedBytes + 1 : 0;
    const answerBeforeByte = Math.max(receivedBeforeByte, window);
    this.closePlan = { kind: 'closing', receivedBeforeByte, answerBeforeByte, lateAnswered: false };
  }

  /**
   * Half-closes an idle connection and waits for the client, as after a last reply, since an
   * idle connection may still have its last reply in the kernel. Not while bytes its client sent
   * before the drain are still to be read.
   */
  closeIfIdle(): boolean {
    if (this.phase.kind !== 'idle') return false;
    const plan = this.closePlan;
    if (plan.kind === 'closing' && this.receivedBytes < plan.receivedBeforeByte) return false;
    this.deliver(this.socket.bytesWritten === 0);
    return true;
  }

  cut(reason: CutReason): void {
    this.end(reason);
  }

  /** While delivering: the client acknowledged more bytes, so it is not stalled. */
  noteDeliveryProgress(): void {
    if (this.phase.kind === 'delivering' && this.phase.lingerMs === null) this.timer?.refresh();
  }

  /**
   * While delivering: the client's kernel has acknowledged every byte. Its application may not
   * have read them yet, so the connection lingers rather than closing at once: briefly while
   * serving, so that held sockets cost no descriptor for long; during a drain until the client's
   * own close (bounded by the write-idle timeout), since nothing new is accepted then and the
   * drain promises that the last client has read its last byte before ebb exits.
   */
  noteAllAcknowledged(): void {
    const phase = this.phase;
    if (phase.kind !== 'delivering' || phase.lingerMs !== null) return;
    const lingerMs =
      this.closePlan.kind === 'closing' ? this.options.writeIdleTimeoutMs : this.options.lingerMs;
    this.enter({ kind: 'delivering', lingerMs, discardedBytes: phase.discardedBytes });
  }

  private readonly onData = (chunk: Buffer): void => {
    const phase = this.phase;
    if (phase.kind === 'delivering') {
      phase.discardedBytes += chunk.length;
      // Closing with unread bytes may reset the client: past the bound that is its own doing.
      if (phase.discardedBytes > MAX_DISCARD_BYTES)
        this.end(phase.lingerMs !== null ? 'complete' : 'aborted');
      return;
    }
    const kind = phase.kind;
    if (kind === 'closed') return;
    this.receivedBytes += chunk.length;
    this.heads.append(chunk, this.options.limits);
    if (kind === 'responding') {
      // Pipelined bytes wait for the reply in progress; stop reading if they pile up.
      if (this.heads.bufferedBytes > this.options.limits.maxHeadBytes) this.socket.pause();
      return;
    }
    this.parseNext();
  };

  /** Bytes of the request stream taken by heads (where the next head begins). */
  private get consumedBytes(): number {
    return this.receivedBytes - this.heads.bufferedBytes;
  }

  /**
   * Whether another request is to be answered after the one whose head was just consumed: yes
   * while serving; during a drain, while the client had sent more before it began, or once for
   * a request sent since that the late handler answers (it has begun to arrive).
   */
  private hasMoreToAnswer(): boolean {
    const plan = this.closePlan;
    if (plan.kind === 'open' || this.consumedBytes < plan.answerBeforeByte) return true;
    return this.lateHandler !== null && !plan.lateAnswered && this.heads.bufferedBytes > 0;
  }

  private parseNext(): void {
    if (this.heads.bufferedBytes === 0) return;
    const plan = this.closePlan;
    const late = plan.kind === 'closing' && this.consumedBytes >= plan.answerBeforeByte;
    const parsed = this.heads.next(this.options.limits);
    if (parsed.kind === 'incomplete') {
      // A head that arrived whole goes straight to responding: only a partial one is 'reading',
      // with the header timeout from its first byte (this one).
      if (this.phase.kind === 'idle') this.enter({ kind: 'reading' });
      return;
    }
    if (parsed.kind === 'invalid') {
      this.heads.clear();
      this.replyError(parsed.status);
      return;
    }
    if (late && plan.kind === 'closing') plan.lateAnswered = true;
    const handler = late ? (this.lateHandler ?? this.handler) : this.handler;
    // Content we do not read would be taken for the next request: answer, then close.
    this.startReply(parsed.request, parsed.wantsClose || parsed.hasContent, handler);
  }

  private startReply(request: ParsedRequest, closeAfter: boolean, handler: RequestHandler): void {
    this.enter({ kind: 'responding', closeAfter, sender: null, errorReply: false });
    this.observer.onRequestStart(request);
    let answer: Reply | Promise<Reply>;
    try {
      answer = handler(request);
    } catch (error) {
      this.handlerFailed(request, error);
      return;
    }
    if (!(answer instanceof Promise)) this.writeReply(request, answer);
    else {
      answer.then(
        (reply) => this.writeReply(request, reply),
        (error: unknown) => this.handlerFailed(request, error),
      );
    }
  }

  private handlerFailed(request: ParsedRequest, error: unknown): void {
    console.error('ebb: request handler failed:', error);
    this.writeReply(request, textReply(500, { closeConnection: true }));
  }

  private writeReply(request: ParsedRequest, reply: Reply): void {
    const phase = this.phase;
    if (phase.kind !== 'responding') {
      // The connection ended while the handler worked: nothing is sent.
      if (reply.fd !== undefined) close(reply.fd, () => undefined);
      this.observer.onResponseStart(request, reply, 0);
      this.observer.onResponseWritten(phase.kind === 'closed' ? phase.reason : 'aborted');
      return;
    }
    const closeAfter =
      phase.closeAfter ||
      reply.closeConnection === true ||
      !this.hasMoreToAnswer() ||
      this.peerEnded;
    const token = closeAfter ? 'close' : request.minorVersion === 0 ? 'keep-alive' : 'none';
    const withBody = hasBody(request.method, reply.status);
    const made = rememberedReplyBytes(reply, token, withBody);
    if (made !== null) {
      this.writeMade(request, reply, closeAfter, made);
      return;
    }
    const head = serializeHead(reply.status, reply.headers, token);
    const body = withBody ? reply.body : [];
    this.bodyStartSocketBytes = this.socket.bytesWritten + Buffer.byteLength(head, 'latin1');
    this.observer.onResponseStart(request, reply, bodyLength(body));
    const fd = withBody ? reply.fd : undefined;
    if (!withBody && reply.fd !== undefined) close(reply.fd, () => undefined);
    const sender = new BodySender(
      this.socket,
      fd,
      body,
      head,
      this.observer,
      this.endReply,
      this.pacer,
    );
    this.phase = { kind: 'responding', closeAfter, sender, errorReply: reply.status >= 400 };
    sender.start();
  }

  /** A reply whose bytes were made already (a cached file's plain reply): written as they are. */
  private writeMade(
    request: ParsedRequest,
    reply: Reply,
    closeAfter: boolean,
    made: ReplyBytes,
  ): void {
    this.bodyStartSocketBytes = this.socket.bytesWritten + made.headBytes;
    this.observer.onResponseStart(request, reply, made.bodyBytes);
    const errorReply = reply.status >= 400;
    this.phase = { kind: 'responding', closeAfter, sender: WRITTEN_AS_MADE, errorReply };
    this.madeBodyBytes = made.bodyBytes;
    if (made.rest === null) {
      this.socket.write(made.first, this.afterMadeWrite);
      return;
    }
    this.socket.cork();
    this.socket.write(made.first);
    this.socket.write(made.rest, this.afterMadeWrite);
    this.socket.uncork();
  }

  /** As the body sender ends: a destroyed socket's write completing on Node 20 is no success. */
  private readonly afterMadeWrite = (error?: Error | null): void => {
    if (this.phase.kind !== 'responding') return; // ended meanwhile: end() reported the reply
    if (error || this.socket.destroyed) {
      this.endReply('write-failed');
      return;
    }
    this.observer.onBodyBytes(this.madeBodyBytes);
    this.endReply('sent');
  };

  private readonly endReply = (end: BodyEnd): void => {
    const phase = this.phase;
    if (phase.kind !== 'responding') return; // ended meanwhile: end() reported the reply
    if (end !== 'sent') {
      this.end(end === 'read-failed' ? 'error' : 'aborted');
      return;
    }
    this.observer.onResponseWritten('complete');
    // A drain may have begun while this reply was under way: answer only what was sent before.
    if (phase.closeAfter || !this.hasMoreToAnswer() || this.peerEnded) {
      this.deliver(phase.errorReply);
      return;
    }
    this.enter({ kind: 'idle', timeoutMs: this.options.keepaliveTimeoutMs });
    this.socket.resume();
    this.parseNext();
  };

  /**
   * Half-closes and waits for the client's own close: only then has it got every byte. What the
   * client still sends is read and discarded, so that the final close does not reset it.
   */
  private deliver(nothingToWaitFor: boolean): void {
    this.heads.clear();
    const lingerMs = nothingToWaitFor ? this.options.lingerMs : null;
    this.enter({ kind: 'delivering', lingerMs, discardedBytes: 0 });
    this.socket.end();
    this.socket.resume();
  }

  private replyError(status: number): void {
    this.observer.onRequestStart(UNPARSED);
    this.enter({ kind: 'responding', closeAfter: true, sender: null, errorReply: true });
    this.writeReply(UNPARSED, textReply(status, { closeConnection: true }));
  }

  private readonly onTimer = (): void => {
    if (this.timerLimit === this.limitCount) this.onLimit();
  };

  private readonly onSocketTimeout = (): void => {
    const limit = limitOf(this.phase, this.options);
    if (limit !== null && 'idleMs' in limit) this.onLimit();
    else this.socketTimerSpent = true;
  };

  /** The current phase's limit expired (the socket was idle too long, or the phase's timer). */
  private onLimit(): void {
    const phase = this.phase;
    switch (phase.kind) {
      case 'idle':
        this.end('complete');
        return;
      case 'reading':
        this.heads.clear();
        this.replyError(408);
        return;
      case 'responding':
        this.end('timeout');
        return;
      case 'delivering':
        this.end(phase.lingerMs !== null ? 'complete' : 'timeout');
        return;
      case 'closed':
        return;
    }
  }

  private readonly onEnd = (): void => {
    this.peerEnded = true;
    const kind = this.phase.kind;
    if (kind === 'delivering' || kind === 'idle') this.end('complete');
    else if (kind === 'reading') this.end('aborted');
    // responding: the client may still read; the reply then ends the connection (peerEnded).
  };

  private readonly onClose = (hadError: boolean): void => {
    const delivering = this.phase.kind === 'delivering';
    this.end(delivering && !hadError ? 'complete' : 'aborted');
    if (this.phase.kind === 'closed') this.observer.onClose(this.phase.delivery);
  };

  /**
   * Ends the connection now. The first caller's reason is the one recorded, before the socket is
   * destroyed, so nothing the destroy sets off (a pending write completing with ECANCELED on
   * Node 22+, an 'error', 'close') can change it; a reply being written ends with that reason.
   */
  private end(reason: EndReason): void {
    const was = this.phase;
    if (was.kind === 'closed') return;
    const delivery = was.kind === 'delivering' ? deliveryOf(reason) : null;
    this.enter({ kind: 'closed', reason, delivery });
    if (was.kind === 'responding' && was.sender !== null) {
      was.sender.stop();
      this.observer.onResponseWritten(reason);
    }
    this.heads.clear();
    // A cut sends nothing more: the kernel drops what it still holds, so the client ends with
    // what it acknowledged (what the access log counts for a cut). Over TLS Node can only close.
    if (isCutReason(reason) && !(this.socket instanceof TLSSocket)) this.socket.resetAndDestroy();
    else this.socket.destroy();
  }

  /** Enters a phase: its limit replaces the last one's, and the observer hears of a new kind. */
  private enter(next: Phase): void {
    const kindChanged = next.kind !== this.phase.kind;
    this.phase = next;
    this.applyLimit();
    if (kindChanged) this.observer.onPhase(next.kind);
  }

  /** The one place a socket timeout or phase timer is set: the current phase's limit. */
  private applyLimit(): void {
    this.limitCount++;
    const limit = limitOf(this.phase, this.options);
    if (limit === null) {
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      this.socket.setTimeout(0);
      return;
    }
    if ('idleMs' in limit) {
      if (limit.idleMs !== this.socketIdleMs || this.socketTimerSpent) {
        this.socket.setTimeout(limit.idleMs);
        this.socketIdleMs = limit.idleMs;
        this.socketTimerSpent = false;
      }
      return;
    }
    if (this.timer !== null && this.timerMs === limit.afterMs) this.timer.refresh();
    else {
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = setTimeout(this.onTimer, limit.afterMs);
      this.timerMs = limit.afterMs;
    }
    this.timerLimit = this.limitCount;
  }
}
