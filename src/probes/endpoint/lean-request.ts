/**
 * A resolved request turned into the bytes the load engine's HTTP/1.1 client writes (pure).
 *
 * The lean client writes what it is given without the checks undici makes, so a request it
 * could not send faithfully is refused here (undefined) and the probe falls back to undici, which
 * keeps today's behaviour for it (including today's error). Refused: a method that is not an
 * HTTP token, a header name that is not a token, and a control character (CR, LF, NUL…) in a
 * header value or the request target — bytes the spec did not ask to put on the wire.
 */
import { encodeRequest, type Http1Request } from '../../load/http/http1-client.js';
import type { HttpRequest } from '../../sources/http/types.js';

export interface LeanRequest {
  /** scheme://host:port, the key of the client's connection pool. */
  origin: string;
  request: Http1Request;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Horizontal tab is allowed in header values (RFC 9110 field-vchar/obs-text); other controls are not.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

export function toLeanRequest(request: HttpRequest, timeoutMs: number): LeanRequest | undefined {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (!TOKEN.test(request.method)) return undefined;
  const target = (url.pathname || '/') + url.search;
  if (CONTROL.test(target) || target.includes(' ')) return undefined;
  const headers: string[] = [];
  for (const [name, value] of Object.entries(request.headers)) {
    if (!TOKEN.test(name) || CONTROL.test(value)) return undefined;
    headers.push(name, value);
  }
  const { method } = request;
  return {
    origin: url.origin,
    request: { bytes: encodeRequest(method, target, url.host, headers, request.body), head: method.toUpperCase() === 'HEAD', timeoutMs },
  };
}
