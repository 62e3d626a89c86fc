/**
 * The JSONPath subset perfspec understands for captures and expectations: `$`, `.name`,
 * `['name']`, `[0]`, `[-1]` and `.length`. Small on purpose: it is what specs need, and every
 * path is checked when the spec is validated.
 */

export type PathSegment = string | number;

const SEGMENT = /^(?:\.([A-Za-z_$][\w$-]*)|\[(-?\d+)\]|\['([^']*)'\]|\["([^"]*)"\])/;

/** The segments of a path like `$.items[0].id`, or undefined when it is not a supported path. */
export function parseJsonPath(path: string): PathSegment[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const segments: PathSegment[] = [];
  let rest = path.slice(1);
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

/** The value at a parsed path, or undefined when any step is missing. */
export function readJsonPath(value: unknown, segments: PathSegment[]): unknown {
  let current: unknown = value;
  for (const segment of segments) {
    if (current === null || current === undefined) return undefined;
    if (typeof segment === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[segment < 0 ? current.length + segment : segment];
    } else if (segment === 'length' && (Array.isArray(current) || typeof current === 'string')) {
      current = current.length;
    } else if (typeof current === 'object') {
      current = (current as Record<string, unknown>)[segment];
    } else {
      return undefined;
    }
  }
  return current;
}
