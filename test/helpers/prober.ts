/**
 * A client that opens a new connection every few milliseconds and fetches one small file, for
 * the zero-downtime tests: it counts every attempt and how it ended (served the right bytes,
 * refused, reset, wrong bytes, another status), so a test asserts the counts and reports them.
 */
import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { TCP, type Transport } from './http-client.js';

export interface ProbeCounts {
  tried: number;
  ok: number;
  refused: number;
  reset: number;
  /** Responses whose body matched none of the expected bodies, and their bytes. */
  wrongResponses: number;
  wrongBytes: number;
  otherStatus: number;
  /** Attempts that neither finished nor failed within the probe timeout. */
  stalled: number;
  /** Of those, the ones whose connect never completed (a SYN left unanswered). */
  stalledConnecting: number;
}

export interface Prober {
  /** Stops starting attempts, waits for those in flight, and returns the counts. */
  stop(): Promise<ProbeCounts>;
  readonly counts: ProbeCounts;
  /** Resolves once `more` further attempts have been started. */
  after(more: number): Promise<void>;
}

const PROBE_TIMEOUT_MS = 5000;

function differingBytes(a: Buffer, b: Buffer): number {
  let count = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) count++;
  return count;
}

/** A connection whose `ready` event says the request may be written (TCP connect, TLS handshake). */
function open(port: number, transport: Transport): { socket: Socket; ready: string } {
  if (transport.kind === 'tcp')
    return { socket: connect({ port, host: '127.0.0.1' }), ready: 'connect' };
  const socket = connectTls({
    port,
    host: '127.0.0.1',
    ca: transport.ca,
    ALPNProtocols: ['http/1.1'],
  });
  return { socket, ready: 'secureConnect' };
}

function probeOnce(
  port: number,
  path: string,
  expected: readonly Buffer[],
  counts: ProbeCounts,
  transport: Transport,
): Promise<void> {
  return new Promise((resolve) => {
    const { socket, ready } = open(port, transport);
    const chunks: Buffer[] = [];
    let settled = false;
    const settle = (record: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      record();
      socket.destroy();
      resolve();
    };
    let connected = false;
    const timer = setTimeout(
      () =>
        settle(() => {
          counts.stalled++;
          if (!connected) counts.stalledConnecting++;
        }),
      PROBE_TIMEOUT_MS,
    );
    socket.on(ready, () => {
      connected = true;
      socket.write(`GET ${path} HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      settle(() => {
        if (error.code === 'ECONNREFUSED') counts.refused++;
        else counts.reset++;
      });
    });
    socket.on('end', () => {
      settle(() => {
        const response = Buffer.concat(chunks);
        const split = response.indexOf('\r\n\r\n');
        const status = Number(response.subarray(0, 12).toString('latin1').split(' ')[1]);
        if (split < 0) {
          counts.reset++;
          return;
        }
        if (status !== 200) {
          counts.otherStatus++;
          return;
        }
        const body = response.subarray(split + 4);
        if (expected.some((e) => e.equals(body))) counts.ok++;
        else {
          counts.wrongResponses++;
          counts.wrongBytes += Math.min(...expected.map((e) => differingBytes(e, body)));
        }
      });
    });
  });
}

/**
 * Starts an attempt every `intervalMs` on 127.0.0.1:`port` (over TLS if `transport` says so; a
 * failed handshake counts as a reset); any of `expected` is a right body.
 */
export function startProber(
  port: number,
  path: string,
  expected: readonly Buffer[],
  intervalMs = 5,
  transport: Transport = TCP,
): Prober {
  const counts: ProbeCounts = {
    tried: 0,
    ok: 0,
    refused: 0,
    reset: 0,
    wrongResponses: 0,
    wrongBytes: 0,
    otherStatus: 0,
    stalled: 0,
    stalledConnecting: 0,
  };
  const inFlight = new Set<Promise<void>>();
  let waiters: Array<{ tried: number; resolve: () => void }> = [];
  const timer = setInterval(() => {
    counts.tried++;
    waiters = waiters.filter((w) => (w.tried <= counts.tried ? (w.resolve(), false) : true));
    const attempt = probeOnce(port, path, expected, counts, transport);
    inFlight.add(attempt);
    void attempt.then(() => inFlight.delete(attempt));
  }, intervalMs);
  return {
    counts,
    after(more) {
      return new Promise((resolve) => waiters.push({ tried: counts.tried + more, resolve }));
    },
    async stop() {
      clearInterval(timer);
      await Promise.all([...inFlight]);
      return counts;
    },
  };
}

/** The counts on one line, as the issue asks them reported. */
export function describeCounts(what: string, c: ProbeCounts): string {
  return `${what}: tried ${c.tried}, ok ${c.ok}, refused ${c.refused}, reset ${c.reset}, wrong bytes ${c.wrongBytes} (${c.wrongResponses} responses), other status ${c.otherStatus}, stalled ${c.stalled} (${c.stalledConnecting} before connect)`;
}

/** What must be zero across a reload or an upgrade, and whether every attempt was served. */
export function lostCounts(c: ProbeCounts): {
  readonly refused: number;
  readonly reset: number;
  readonly wrong: number;
  readonly stalled: number;
  readonly unserved: number;
} {
  return {
    refused: c.refused,
    reset: c.reset,
    wrong: c.wrongBytes,
    stalled: c.stalled,
    unserved: c.tried - c.ok,
  };
}

export const NONE_LOST = { refused: 0, reset: 0, wrong: 0, stalled: 0, unserved: 0 } as const;
