/** `/status`, `/ready`, `POST /drain`, `POST /stop`: what `ebb stop` and load balancers use. */
import type { ServerResponse } from 'node:http';
import { parseDurationMs } from '../config/duration.js';
import type { StatusSnapshot } from '../lifecycle/status.js';
import type { DrainSummary, LifecycleState } from '../lifecycle/state.js';
import type { ReadinessPoll } from '../lifecycle/health-checkers.js';
import { sendJson, sendText, type AdminRoute } from './routes.js';
import type { StatusBody } from './status-answers.js';

/** Receives a drain's progress once a second, then its summary just before the server exits. */
export interface DrainWatcher {
  progress(snapshot: StatusSnapshot): void;
  finished(summary: DrainSummary): void;
}

export interface AdminControl {
  /** A fresh snapshot as JSON (progress sampled first), at most `limit` connection rows. */
  status(limit: number): Promise<StatusBody>;
  state(): LifecycleState;
  /** Starts a drain (or tightens its deadline); the state then says where it stands. */
  drain(timeoutMs: number | null): void;
  stop(): void;
  /** A readiness poll was answered (`--drain-delay auto` counts the health checkers' answers). */
  readinessAnswered(poll: ReadinessPoll): void;
  /** Subscribes to drain progress; returns the unsubscribe function. */
  watch(watcher: DrainWatcher): () => void;
}

/**
 * `POST /drain?watch=1` (and `/stop?watch=1`) keep the response open as NDJSON: a `progress`
 * line a second, then a `finished` line with the summary and exit status. `ebb stop` reads it,
 * so it learns how the drain ended without polling.
 */
function streamDrain(control: AdminControl, response: ServerResponse, state: LifecycleState): void {
  response.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' });
  response.write(`${JSON.stringify({ event: 'accepted', ...stateJson(state) })}\n`);
  const unsubscribe = control.watch({
    progress: (snapshot) =>
      response.write(`${JSON.stringify({ event: 'progress', status: snapshot })}\n`),
    finished: (summary) => response.end(`${JSON.stringify({ event: 'finished', summary })}\n`),
  });
  response.on('close', unsubscribe);
}

function stateJson(state: LifecycleState): object {
  return {
    state: state.kind,
    since: new Date(state.sinceMs).toISOString(),
    deadline:
      state.kind === 'draining' && state.deadlineMs !== null
        ? new Date(state.deadlineMs).toISOString()
        : null,
  };
}

function sendStatusBody(response: ServerResponse, body: StatusBody): void {
  response.writeHead(200, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': body.byteLength,
    'Cache-Control': 'no-store',
  });
  const [head, rows, tail] = body.chunks;
  response.write(head);
  response.write(rows);
  response.end(tail);
}

export function controlRoutes(control: AdminControl): AdminRoute[] {
  /**
   * 200 while serving, 503 from the instant a drain begins: what load balancers poll. Each answer
   * that reached the socket is recorded, so the drain knows who polls and what it was told.
   */
  const answerReadiness: AdminRoute['handle'] = (request, response) => {
    const ready = control.state().kind === 'serving';
    const userAgent = request.headers['user-agent'] ?? '';
    const client = request.socket.remoteAddress ?? 'unix';
    response.once('finish', () => control.readinessAnswered({ client, userAgent, ready }));
    if (ready) sendText(response, 200, 'ready\n');
    else sendText(response, 503, 'draining\n');
  };
  return [
    {
      method: 'GET',
      path: '/status',
      async handle(_request, response, url) {
        const limitText = url.searchParams.get('limit');
        const limit = limitText === null ? Infinity : Number(limitText);
        if (!Number.isInteger(limit) && limit !== Infinity) {
          sendText(response, 400, 'limit must be an integer\n');
          return;
        }
        sendStatusBody(response, await control.status(limit));
      },
    },
    { method: 'GET', path: '/ready', handle: answerReadiness },
    // HAProxy's default `option httpchk` sends `OPTIONS / HTTP/1.0`: answer it as /ready does.
    { method: 'OPTIONS', path: '/', handle: answerReadiness },
    {
      method: 'POST',
      path: '/drain',
      handle(_request, response, url) {
        const timeout = url.searchParams.get('timeout');
        const timeoutMs = timeout === null ? null : parseDurationMs(timeout);
        if (timeoutMs === undefined) {
          sendText(response, 400, `timeout "${timeout}" is not a duration such as 30s, 5m, 2h\n`);
          return;
        }
        control.drain(timeoutMs);
        if (url.searchParams.has('watch')) streamDrain(control, response, control.state());
        else sendJson(response, 202, stateJson(control.state()));
      },
    },
    {
      method: 'POST',
      path: '/stop',
      handle(_request, response, url) {
        control.stop();
        if (url.searchParams.has('watch')) streamDrain(control, response, control.state());
        else sendJson(response, 202, stateJson(control.state()));
      },
    },
  ];
}
