/**
 * A Metalink 4 document (RFC 5854) for one file: its name, size, sha-256 when known, and the
 * URLs it can be fetched from with their priorities. Text is XML-escaped, and characters XML
 * cannot hold at all (most C0 controls, lone surrogates) become U+FFFD.
 */
import type { Location } from './peers.js';

export interface MetalinkFile {
  /** The file's name (the last path segment), as the client will save it. */
  readonly name: string;
  readonly sizeBytes: number;
  readonly sha256: Buffer | null;
  readonly locations: readonly Location[];
  readonly generator: string;
}

export function renderMetalink(file: MetalinkFile): string {
  const hash =
    file.sha256 === null ? [] : [`    <hash type="sha-256">${file.sha256.toString('hex')}</hash>`];
  const urls = file.locations.map(
    (location) => `    <url priority="${location.priority}">${escapeXml(location.url)}</url>`,
  );
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<metalink xmlns="urn:ietf:params:xml:ns:metalink">',
    `  <generator>${escapeXml(file.generator)}</generator>`,
    `  <file name="${escapeXml(file.name)}">`,
    `    <size>${file.sizeBytes}</size>`,
    ...hash,
    ...urls,
    '  </file>',
    '</metalink>',
    '',
  ].join('\n');
}

const XML_SPECIAL: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

// Not a Char of XML 1.0 §2.2: C0 controls but tab, LF, CR; U+FFFE/FFFF; unpaired surrogates.
const NOT_XML_CHAR =
  /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function escapeXml(text: string): string {
  return text
    .replace(NOT_XML_CHAR, '\ufffd')
    .replace(/[&<>"']/g, (char) => XML_SPECIAL[char] ?? char);
}
