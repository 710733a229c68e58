/** `GET /` (the status page), `GET /events` (its live feed) and `GET /metrics` (Prometheus). */
import type { ServerResponse } from 'node:http';
import type { AdminRoute } from './routes.js';
import type { SnapshotFeed } from './snapshot-feed.js';
import type { ServerMetrics } from './metrics.js';
import { statusPage } from './status-page.js';

/** A viewer whose socket has this much unsent is skipped for a tick rather than buffered. */
const MAX_VIEWER_BACKLOG_BYTES = 1024 * 1024;

function streamEvents(feed: SnapshotFeed, response: ServerResponse): void {
  response.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Accel-Buffering': 'no',
  });
  response.socket?.setNoDelay(true);
  // How long a browser waits before reconnecting after the stream drops.
  response.write('retry: 2000\n\n');
  const unsubscribe = feed.subscribe({
    send(message) {
      if (response.writableLength < MAX_VIEWER_BACKLOG_BYTES) response.write(message);
    },
    end: () => response.end(),
  });
  response.on('close', unsubscribe);
}

export function viewRoutes(feed: SnapshotFeed, metrics: ServerMetrics): AdminRoute[] {
  const page = statusPage();
  return [
    {
      method: 'GET',
      path: '/',
      handle(_request, response) {
        response.writeHead(200, {
          'Content-Type': 'text/html; charset=utf-8',
          'Content-Length': page.body.length,
          'Cache-Control': 'no-store',
          'Content-Security-Policy': page.contentSecurityPolicy,
          'X-Content-Type-Options': 'nosniff',
          'Referrer-Policy': 'no-referrer',
        });
        response.end(page.body);
      },
    },
    {
      method: 'GET',
      path: '/events',
      handle(_request, response) {
        streamEvents(feed, response);
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      async handle(_request, response) {
        const body = await metrics.render();
        response.writeHead(200, {
          'Content-Type': metrics.contentType,
          'Content-Length': Buffer.byteLength(body),
          'Cache-Control': 'no-store',
        });
        response.end(body);
      },
    },
  ];
}
