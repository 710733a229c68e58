/**
 * Split a request-target into its raw (still percent-encoded) path and query. Only
 * origin-form (`/path?query`) and absolute-form (`http://host/path?query`) are served; a
 * mirror answers to any host name, so absolute-form keeps only its path.
 */

export type Target =
  | { readonly kind: 'target'; readonly rawPath: string; readonly query: string }
  | { readonly kind: 'bad-request' };

const BAD_REQUEST: Target = { kind: 'bad-request' };

/** RFC 9112 §3.2: a request-target is visible ASCII; anything else is refused outright. */
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;
const ABSOLUTE_FORM = /^https?:\/\/[^/?]+/i;

export function parseTarget(target: string): Target {
  if (!VISIBLE_ASCII.test(target) || target.includes('#')) return BAD_REQUEST;
  const originForm = toOriginForm(target);
  if (originForm === null) return BAD_REQUEST;
  const queryStart = originForm.indexOf('?');
  if (queryStart === -1) return { kind: 'target', rawPath: originForm, query: '' };
  return {
    kind: 'target',
    rawPath: originForm.slice(0, queryStart),
    query: originForm.slice(queryStart),
  };
}

function toOriginForm(target: string): string | null {
  if (target.startsWith('/')) return target;
  const authority = ABSOLUTE_FORM.exec(target);
  if (authority === null) return null;
  const rest = target.slice(authority[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}
