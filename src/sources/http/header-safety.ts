/**
 * Nothing goes on the wire but what the spec says: a CR, LF or NUL in a method, a request target, a
 * header name or a header value would end the header early and let the rest become another header
 * or a whole second request (request smuggling). Literal values are rejected when the spec is
 * validated; values that become unsafe only once interpolated (a captured value, a data row) make
 * that one request fail with UnsafeRequestError, and nothing is sent.
 */

const LINE_BREAK_OR_NUL = /[\r\n\0]/;
/** RFC 9110 token characters. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export class UnsafeRequestError extends Error {
  readonly code = 'UNSAFE_REQUEST';
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeRequestError';
  }
}

export function isSafeHeaderName(name: string): boolean {
  return TOKEN.test(name);
}

export function isSafeHeaderValue(value: string): boolean {
  return !LINE_BREAK_OR_NUL.test(value);
}

/** Throws UnsafeRequestError naming the part (never its value: it may be a secret). */
export function assertSafeRequest(method: string, target: string, headers: Iterable<readonly [string, string]>): void {
  if (!TOKEN.test(method)) throw new UnsafeRequestError(`the method ${JSON.stringify(method.slice(0, 20))} is not an HTTP token; the request was not sent`);
  if (LINE_BREAK_OR_NUL.test(target) || /\s/.test(target)) {
    throw new UnsafeRequestError('the request URL holds a line break, NUL or space after interpolation; the request was not sent');
  }
  for (const [name, value] of headers) {
    if (!TOKEN.test(name)) throw new UnsafeRequestError(`the header name ${JSON.stringify(name.slice(0, 40))} is not an HTTP token; the request was not sent`);
    if (LINE_BREAK_OR_NUL.test(value)) {
      throw new UnsafeRequestError(`header ${name} holds a line break (CR/LF) or NUL after interpolation; the request was not sent`);
    }
  }
}
