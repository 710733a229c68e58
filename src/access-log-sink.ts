/** The access log as one of the registry's sinks: one line per response, when it is written. */
import { headerValue } from './http/types.js';
import type { AccessLog } from './log/access-log.js';
import type { ResponseSink } from './lifecycle/response-record.js';

export function accessLogSink(log: AccessLog): ResponseSink {
  return {
    responseWritten(record) {
      const { request } = record;
      log.write({
        remoteAddress: record.remoteAddress,
        startedAtMs: record.startedAtMs,
        method: request.method,
        target: request.target,
        minorVersion: request.minorVersion,
        status: record.status,
        // A cut download: what the client acknowledged, which is what it got (the cut resets).
        bodyBytesSent: record.bytesAcked ?? record.bytesSent,
        referer: headerValue(request, 'referer'),
        userAgent: headerValue(request, 'user-agent'),
        durationMs: record.endedAtMs - record.startedAtMs,
        outcome: record.written,
      });
    },
    connectionClosed: () => undefined,
  };
}
