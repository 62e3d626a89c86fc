/**
 * The one JSONPath subset perfspec understands, for setup captures, expectations and load-flow
 * captures alike: `$`, `.name`, `['name']` / `["name"]`, `[0]`, `[-1]` (from the end) and
 * `.length` of an array or string. Small on purpose: it is what specs need, and every path is
 * checked when the spec is validated and parsed once before anything is sent.
 */

export type PathSegment = string | number;
/** A parsed path: the keys to follow from the document's root. */
export type JsonPath = PathSegment[];

const SEGMENT = /^(?:\.([A-Za-z_$][\w$-]*)|\[(-?\d+)\]|\[\s*'([^']*)'\s*\]|\[\s*"([^"]*)"\s*\])/;

/** The segments of a path like `$.items[0].id`, or undefined when it is not a supported path. */
export function parseJsonPath(path: string): JsonPath | undefined {
  const source = path.trim();
  if (!source.startsWith('$')) return undefined;
  const segments: JsonPath = [];
  let rest = source.slice(1);
  while (rest.length > 0) {
    const match = SEGMENT.exec(rest);
    if (!match) return undefined;
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push(match[3] ?? match[4]);
    rest = rest.slice(match[0].length);
  }
  return segments;
}

/**
 * The value at a parsed path, or undefined when any step is missing. Only own properties are
 * followed (`$.constructor` is missing, not a function); `length` of an array or string is its length.
 */
export function readJsonPath(value: unknown, segments: JsonPath): unknown {
  let current: unknown = value;
  for (const segment of segments) {
    if (current === null || current === undefined) return undefined;
    if (typeof segment === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[segment < 0 ? current.length + segment : segment];
    } else if (segment === 'length' && (Array.isArray(current) || typeof current === 'string')) {
      current = current.length;
    } else if (typeof current === 'object' && Object.prototype.hasOwnProperty.call(current, segment)) {
      current = (current as Record<string, unknown>)[segment];
    } else {
      return undefined;
    }
  }
  return current;
}
