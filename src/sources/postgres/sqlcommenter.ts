/**
 * Reads sqlcommenter comments (https://google.github.io/sqlcommenter/spec/): the comment an
 * instrumented app appends to each statement, e.g.
 *
 *   SELECT 1 /*action='list',traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'*\/
 *
 * As the spec writes it: one comment at the end of the statement, `key='value'` pairs joined by
 * commas, keys sorted, keys and values URL-encoded, a `'` inside a value escaped as `\'`, the value
 * single-quoted. The parser does not rely on the order (producers differ), tolerates a trailing `;`
 * and whitespace after the comment, and ignores a comment that is not in sqlcommenter form.
 *
 * Pure and cheap: the proxy calls traceIdAt for every Query and Parse on its hot path. It looks at
 * the last bytes first and makes no string unless the text ends with a comment.
 */

const SLASH = 0x2f;
const STAR = 0x2a;
const SEMICOLON = 0x3b;

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c;

/**
 * The byte range [start, end) of the comment's inside when the text in bytes [from, to) ends with
 * a block comment (after optional whitespace and semicolons); undefined otherwise. A NUL ends the text.
 */
export function trailingCommentRange(bytes: Uint8Array, from: number, to: number): [number, number] | undefined {
  let end = to;
  // A C string: the text ends at its NUL (Query and Parse bodies carry one).
  const nul = indexOfNul(bytes, from, to);
  if (nul >= 0) end = nul;
  while (end > from && (isSpace(bytes[end - 1]) || bytes[end - 1] === SEMICOLON)) end--;
  if (end - from < 4 || bytes[end - 1] !== SLASH || bytes[end - 2] !== STAR) return undefined;
  const close = end - 2;
  for (let i = close - 1; i > from; i--) {
    if (bytes[i] === STAR && bytes[i - 1] === SLASH) return [i + 1, close];
  }
  return undefined;
}

function indexOfNul(bytes: Uint8Array, from: number, to: number): number {
  // Bodies are Buffers in practice; indexOf is native and fast. Plain Uint8Arrays also work.
  const found = bytes.indexOf(0, from);
  return found >= 0 && found < to ? found : -1;
}

/**
 * The key/value pairs of a sqlcommenter comment's inside (`a='1',b='x%20y'`), decoded; undefined when
 * the text is not a sqlcommenter comment (any part that is not key='value' makes the whole invalid,
 * so a free-form comment is never misread).
 */
export function parseSqlComment(inside: string): Map<string, string> | undefined {
  const pairs = new Map<string, string>();
  const text = inside.trim();
  if (text === '') return undefined;
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0 || text[eq + 1] !== "'") return undefined;
    const key = decode(text.slice(i, eq).trim());
    if (key === undefined || key === '') return undefined;
    // The value runs to the next quote not escaped by a backslash.
    let j = eq + 2;
    let raw = '';
    for (; j < text.length; j++) {
      const c = text[j];
      if (c === '\\' && j + 1 < text.length) {
        raw += text[j + 1];
        j++;
        continue;
      }
      if (c === "'") break;
      raw += c;
    }
    if (j >= text.length) return undefined; // unterminated value
    const value = decode(raw);
    if (value === undefined) return undefined;
    pairs.set(key, value);
    i = j + 1;
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
    if (i < text.length) {
      if (text[i] !== ',') return undefined;
      i++;
      while (i < text.length && isSpace(text.charCodeAt(i))) i++;
      if (i >= text.length) return undefined; // a trailing comma
    }
  }
  return pairs;
}

function decode(text: string): string | undefined {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

/**
 * The trace id of a W3C traceparent value (`00-<32 hex>-<16 hex>-<2 hex>`), lower case; undefined
 * when the value is malformed, the version is ff, or an id is all zeros (all invalid per W3C).
 */
export function traceIdOfTraceparent(value: string): string | undefined {
  const match = TRACEPARENT.exec(value.trim());
  if (!match) return undefined;
  const [, version, traceId, parentId] = match;
  if (version === 'ff') return undefined;
  if (version === '00' && value.trim().length !== 55) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined;
  return traceId;
}

/**
 * The trace id a statement carries in a trailing sqlcommenter comment, read from protocol bytes
 * [from, to) (a Query body, or a Parse body from its text's offset); undefined when there is none.
 */
export function traceIdAt(bytes: Uint8Array, from: number, to: number): string | undefined {
  const range = trailingCommentRange(bytes, from, to);
  if (!range) return undefined;
  const fast = scanComment(bytes, range[0], range[1]);
  if (fast !== SLOW) return fast;
  const inside = Buffer.from(bytes.buffer, bytes.byteOffset + range[0], range[1] - range[0]).toString('utf8');
  if (!inside.includes('traceparent')) return undefined;
  const value = parseSqlComment(inside)?.get('traceparent');
  return value === undefined ? undefined : traceIdOfTraceparent(value);
}

const SLOW = null;
const QUOTE = 0x27;
const BACKSLASH = 0x5c;
const PERCENT = 0x25;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const TRACEPARENT_KEY = Buffer.from('traceparent', 'latin1');
const isLowerHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);

/**
 * The hot path of traceIdAt, on bytes without making strings: walks the comment's key='value' pairs
 * and reads a plain traceparent value in place. Returns SLOW (null) when something needs decoding
 * (a % escape or a backslash anywhere), so the full parser decides; undefined when the comment is not
 * sqlcommenter or has no valid traceparent.
 */
function scanComment(bytes: Uint8Array, start: number, end: number): string | undefined | null {
  let i = start;
  let valueStart = -1;
  while (i < end && isSpace(bytes[i])) i++;
  if (i >= end) return undefined;
  while (i < end) {
    const keyStart = i;
    while (i < end && bytes[i] !== EQUALS) {
      if (bytes[i] === PERCENT || bytes[i] === QUOTE || bytes[i] === COMMA) return bytes[i] === PERCENT ? SLOW : undefined;
      i++;
    }
    if (i >= end || i === keyStart || bytes[i + 1] !== QUOTE) return undefined;
    let keyEnd = i;
    while (keyEnd > keyStart && isSpace(bytes[keyEnd - 1])) keyEnd--;
    let isTraceparent = keyEnd - keyStart === TRACEPARENT_KEY.length;
    for (let k = 0; isTraceparent && k < TRACEPARENT_KEY.length; k++) isTraceparent = bytes[keyStart + k] === TRACEPARENT_KEY[k];
    i += 2;
    const vStart = i;
    while (i < end && bytes[i] !== QUOTE) {
      if (bytes[i] === BACKSLASH || bytes[i] === PERCENT) return SLOW;
      i++;
    }
    if (i >= end) return undefined; // unterminated value
    if (isTraceparent) valueStart = i - vStart === 55 ? vStart : -2;
    i++;
    while (i < end && isSpace(bytes[i])) i++;
    if (i < end) {
      if (bytes[i] !== COMMA) return undefined;
      i++;
      while (i < end && isSpace(bytes[i])) i++;
      if (i >= end) return undefined; // a trailing comma
    }
  }
  if (valueStart === -2) return SLOW; // not the 55 bytes of version 00: the full parser judges it
  if (valueStart < 0) return undefined;
  // 00-<32 hex>-<16 hex>-<2 hex>
  const v = valueStart;
  if (bytes[v] !== 0x30 || bytes[v + 1] !== 0x30 || bytes[v + 2] !== 0x2d || bytes[v + 35] !== 0x2d || bytes[v + 52] !== 0x2d) return SLOW;
  let traceNonZero = false;
  let parentNonZero = false;
  for (let k = 3; k < 55; k++) {
    if (k === 35 || k === 52) continue;
    const c = bytes[v + k];
    if (!isLowerHex(c)) return undefined;
    if (c !== 0x30) {
      if (k < 35) traceNonZero = true;
      else if (k < 52) parentNonZero = true;
    }
  }
  if (!traceNonZero || !parentNonZero) return undefined;
  return latin1(bytes, v + 3, v + 35);
}

/** Bytes as a latin1 string (a Buffer's own method when it is one: no view to make). */
function latin1(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.isBuffer(bytes) ? bytes.toString('latin1', start, end) : String.fromCharCode(...bytes.subarray(start, end));
}

/** The trace id of a statement's text (tests, log lines); see traceIdAt. */
export function traceIdOfStatement(sql: string): string | undefined {
  const bytes = Buffer.from(sql, 'utf8');
  return traceIdAt(bytes, 0, bytes.length);
}

/** The statement without its trailing sqlcommenter comment (for showing fingerprints). */
export function stripSqlComment(sql: string): string {
  const bytes = Buffer.from(sql, 'utf8');
  const range = trailingCommentRange(bytes, 0, bytes.length);
  if (!range || !parseSqlComment(bytes.toString('utf8', range[0], range[1]))) return sql;
  return bytes.toString('utf8', 0, range[0] - 2).trimEnd();
}

/** A sqlcommenter comment for the given pairs, as the spec serialises it (keys sorted, values URL-encoded and quoted). */
export function formatSqlComment(pairs: Record<string, string>): string {
  const parts = Object.keys(pairs)
    .sort()
    .map((key) => `${encodeURIComponent(key)}='${encodeURIComponent(pairs[key]).replace(/'/g, "\\'")}'`);
  return `/*${parts.join(',')}*/`;
}
