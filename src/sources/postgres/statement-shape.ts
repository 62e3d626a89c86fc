/**
 * A cheap shape key for a statement's text, computed on the proxy's hot path straight from the
 * protocol bytes without making a string: a 32-bit FNV-1a hash over the text with every number and
 * every quoted string replaced by one placeholder byte, whitespace runs folded into one space and
 * letters folded to lower case. `WHERE id = 7` and `WHERE id = 8` share a shape; `$1` placeholders
 * are kept, so a parameterised text is its own shape.
 *
 * It is a grouping key for counters outside query windows (load tests), not the fingerprint the
 * queries probe judges by (fingerprint.ts, PostgreSQL's own parser): two shapes the parser would
 * unify (IN lists of different lengths) stay apart here; a reader who needs fingerprints gets them by
 * fingerprinting each group's text (one per group, off the hot path).
 */

const PLACEHOLDER = 0x3f; // '?'
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isWordByte = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x24 || c >= 0x80;
const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c;

/** Shape hash of bytes [start, end) (a NUL-terminated text ends at its NUL). Always a uint32. */
export function shapeHash(bytes: Uint8Array, start: number, end: number): number {
  let hash = FNV_OFFSET;
  let previous = 0x20; // as if after a space: a leading number is a literal
  let pendingSpace = false;
  let i = start;
  while (i < end) {
    let c = bytes[i];
    if (c === 0) break;
    if (isSpace(c)) {
      pendingSpace = true;
      i++;
      continue;
    }
    if (pendingSpace) {
      hash = Math.imul(hash ^ 0x20, FNV_PRIME);
      pendingSpace = false;
      previous = 0x20;
    }
    if (c === 0x27) {
      // 'string' ('' inside is an escaped quote): one placeholder.
      i++;
      while (i < end) {
        if (bytes[i] === 0x27) {
          if (i + 1 < end && bytes[i + 1] === 0x27) i += 2;
          else break;
        } else i++;
      }
      i++;
      c = PLACEHOLDER;
    } else if (isDigit(c) && !isWordByte(previous)) {
      // A number literal (not the digits of an identifier like t1 or a parameter like $12).
      while (i < end && (isDigit(bytes[i]) || bytes[i] === 0x2e || bytes[i] === 0x65 || bytes[i] === 0x45)) i++;
      c = PLACEHOLDER;
    } else {
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      i++;
    }
    hash = Math.imul(hash ^ c, FNV_PRIME);
    previous = c === PLACEHOLDER ? 0x30 : c;
  }
  return hash >>> 0;
}
