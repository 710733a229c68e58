/** Outcome → Reply, in one switch. Pure: no descriptor is opened or closed here. */
import escapeHtml from 'escape-html';
import type { BodySegment, HeaderList, Reply } from '../http/types.js';
import { buildMultipart, contentRange } from './multipart.js';
import type { Outcome, ServedFile } from './outcome.js';
import { validatorHeaders } from './validators.js';

type Header = [name: string, value: string];

const REASON_PHRASES: Readonly<Record<number, string>> = {
  301: 'Moved Permanently',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  412: 'Precondition Failed',
  416: 'Range Not Satisfiable',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function replyFor(outcome: Outcome, cacheControl: string | null): Reply {
  const caching: Header[] = cacheControl === null ? [] : [['Cache-Control', cacheControl]];
  switch (outcome.kind) {
    case 'bad-request':
      return textReply(400);
    case 'forbidden':
      return textReply(403);
    case 'not-found':
      return textReply(404);
    case 'method-not-allowed':
      return { ...textReply(405, [['Allow', 'GET, HEAD']]), closeConnection: true };
    case 'precondition-failed':
      return textReply(412);
    case 'range-not-satisfiable':
      return textReply(416, [['Content-Range', `bytes */${outcome.sizeBytes}`]]);
    case 'internal-error':
      return textReply(500, [], `500 Internal Server Error (id ${outcome.id})\n`);
    case 'unavailable':
      return textReply(503, [['Retry-After', '5']]);
    case 'redirect':
      return redirectReply(outcome.location);
    case 'not-modified': {
      const validators = outcome.validators === null ? [] : validatorHeaders(outcome.validators);
      return { status: 304, headers: [...validators, ...caching], body: [] };
    }
    case 'listing':
      return bufferReply(200, 'text/html; charset=utf-8', outcome.html, caching);
    case 'file': {
      const { file } = outcome;
      const body: BodySegment[] =
        file.sizeBytes === 0 ? [] : [{ kind: 'file', start: 0, end: file.sizeBytes - 1 }];
      return fileReply(200, file, file.contentType, file.sizeBytes, [], body, caching);
    }
    case 'partial': {
      const { file, range } = outcome;
      const rangeHeader: Header = ['Content-Range', contentRange(range, file.sizeBytes)];
      const body: BodySegment[] = [{ kind: 'file', start: range.start, end: range.end }];
      const length = range.end - range.start + 1;
      const reply = fileReply(206, file, file.contentType, length, [rangeHeader], body, caching);
      return { ...reply, range: outcome.rangeHeader };
    }
    case 'multipart': {
      const { file } = outcome;
      const multi = buildMultipart(
        outcome.ranges,
        file.sizeBytes,
        file.contentType,
        outcome.boundary,
      );
      const reply = fileReply(
        206,
        file,
        multi.contentType,
        multi.lengthBytes,
        [],
        multi.body,
        caching,
      );
      return { ...reply, range: outcome.rangeHeader };
    }
  }
}

/**
 * A reply streaming from the file. The descriptor rides along only when a `file` segment
 * reads from it (an empty file has none; its caller closes the fd). A file held in memory
 * has its ranges sliced out as bytes instead.
 */
function fileReply(
  status: number,
  file: ServedFile,
  contentType: string,
  lengthBytes: number,
  extra: Header[],
  body: readonly BodySegment[],
  caching: Header[],
): Reply {
  const headers: HeaderList = [
    ['Content-Type', contentType],
    ['Content-Length', String(lengthBytes)],
    ...extra,
    ...validatorHeaders(file.validators),
    ['Accept-Ranges', 'bytes'],
    ['X-Content-Type-Options', 'nosniff'],
    ...caching,
    ...file.extraHeaders,
  ];
  if (body.length === 0) return { status, headers, body };
  const source = file.source;
  if (source.kind === 'fd') return { status, headers, body, fd: source.fd };
  const sliced = body.map((segment): BodySegment =>
    segment.kind === 'bytes'
      ? segment
      : { kind: 'bytes', data: source.data.subarray(segment.start, segment.end + 1) },
  );
  return { status, headers, body: sliced };
}

function textReply(status: number, extra: Header[] = [], text?: string): Reply {
  const message = text ?? `${status} ${REASON_PHRASES[status] ?? ''}\n`;
  return bufferReply(status, 'text/plain; charset=utf-8', message, extra);
}

function redirectReply(location: string): Reply {
  const href = escapeHtml(location);
  const html = `<!DOCTYPE html>\n<title>301 Moved Permanently</title>\n<a href="${href}">${href}</a>\n`;
  return bufferReply(301, 'text/html; charset=utf-8', html, [['Location', location]]);
}

function bufferReply(status: number, contentType: string, text: string, extra: Header[]): Reply {
  const data = Buffer.from(text, 'utf8');
  return {
    status,
    headers: [
      ['Content-Type', contentType],
      ['Content-Length', String(data.length)],
      ...extra,
      ['X-Content-Type-Options', 'nosniff'],
    ],
    body: [{ kind: 'bytes', data }],
  };
}
