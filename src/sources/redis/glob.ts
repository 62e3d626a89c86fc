/**
 * Redis's MATCH / KEYS / PSUBSCRIBE glob, ported from `stringmatchlen` in Redis 7.0 src/util.c so
 * that a key is counted under a pattern exactly when `SCAN ... MATCH pattern` would return it.
 *
 * Redis matches bytes, not characters: `?` is one byte and `[a-z]` compares bytes (as C `char`,
 * which is signed on the platforms Redis ships for, hence `signedByte`). Callers therefore pass
 * "byte strings": one UTF-16 unit per byte (Buffer#toString('latin1')). `toByteString` converts.
 */

/** The UTF-8 bytes of a text as a byte string (one char per byte). */
export function toByteString(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** A byte string back to text for people (invalid UTF-8 becomes U+FFFD). */
export function fromByteString(bytes: string): string {
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** True when `key` matches the Redis glob `pattern` (both byte strings). */
export function matchRedisGlob(pattern: string, key: string): boolean {
  // SCAN and KEYS skip matching for exactly "*" (so they return the empty key, which
  // stringmatchlen itself would not match).
  if (pattern === '*') return true;
  const state = { skipLongerMatches: false };
  return matchFrom(pattern, 0, key, 0, state);
}

/** A reusable predicate for one pattern; patterns without metacharacters compare by equality. */
export function compileRedisGlob(pattern: string): (key: string) => boolean {
  if (!/[*?[\\]/.test(pattern)) return (key) => key === pattern;
  return (key) => matchRedisGlob(pattern, key);
}

// Indexes past the end read as '\0', as the NUL-terminated C strings do.
function at(text: string, index: number): number {
  return index < text.length ? text.charCodeAt(index) : 0;
}

function signedByte(code: number): number {
  return code > 127 ? code - 256 : code;
}

const STAR = 42; // *
const QUESTION = 63; // ?
const OPEN = 91; // [
const CLOSE = 93; // ]
const BACKSLASH = 92; // \
const CARET = 94; // ^
const DASH = 45; // -

// Invariant: patternLen === pattern.length - p and stringLen === text.length - s; the lengths are
// kept as in the C code so the port can be read against it line by line.
function matchFrom(pattern: string, p: number, text: string, s: number, state: { skipLongerMatches: boolean }): boolean {
  let patternLen = pattern.length - p;
  let stringLen = text.length - s;
  while (patternLen > 0 && stringLen > 0) {
    const c = at(pattern, p);
    if (c === STAR) {
      while (patternLen > 0 && at(pattern, p + 1) === STAR) {
        p++;
        patternLen--;
      }
      if (patternLen === 1) return true;
      while (stringLen > 0) {
        if (matchFrom(pattern, p + 1, text, s, state)) return true;
        if (state.skipLongerMatches) return false;
        s++;
        stringLen--;
      }
      // No match for the rest of the pattern anywhere in the rest of the string: an earlier '*'
      // trying a longer substring cannot help either (Redis's fix for exponential patterns).
      state.skipLongerMatches = true;
      return false;
    } else if (c === QUESTION) {
      s++;
      stringLen--;
    } else if (c === OPEN) {
      p++;
      patternLen--;
      const not = at(pattern, p) === CARET;
      if (not) {
        p++;
        patternLen--;
      }
      let match = false;
      const ch = at(text, s);
      for (;;) {
        const pc = at(pattern, p);
        if (pc === BACKSLASH && patternLen >= 2) {
          p++;
          patternLen--;
          if (at(pattern, p) === ch) match = true;
        } else if (pc === CLOSE && patternLen > 0) {
          break;
        } else if (patternLen <= 0) {
          // Unterminated class: step back so the increment below lands on the end.
          p--;
          patternLen++;
          break;
        } else if (patternLen >= 3 && at(pattern, p + 1) === DASH) {
          let start = signedByte(pc);
          let end = signedByte(at(pattern, p + 2));
          if (start > end) [start, end] = [end, start];
          const value = signedByte(ch);
          p += 2;
          patternLen -= 2;
          if (value >= start && value <= end) match = true;
        } else if (pc === ch) {
          match = true;
        }
        p++;
        patternLen--;
      }
      if (not) match = !match;
      if (!match) return false;
      s++;
      stringLen--;
    } else {
      if (c === BACKSLASH && patternLen >= 2) {
        p++;
        patternLen--;
      }
      if (at(pattern, p) !== at(text, s)) return false;
      s++;
      stringLen--;
    }
    p++;
    patternLen--;
    if (stringLen === 0) {
      while (at(pattern, p) === STAR && patternLen > 0) {
        p++;
        patternLen--;
      }
      break;
    }
  }
  return patternLen === 0 && stringLen === 0;
}
