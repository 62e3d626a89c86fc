/**
 * The JSONPath subset captures need, and nothing more: `$`, `.name`, `['name']` / `["name"]` and
 * `[index]` (negative counts from the end). Parsed once at compile time into a list of keys.
 */

export type JsonPath = Array<string | number>;

const TOKEN = /\.([A-Za-z_$][\w$-]*)|\[(-?\d+)\]|\[\s*'([^']*)'\s*\]|\[\s*"([^"]*)"\s*\]/y;

/** Keys of a path such as `$.data.items[0].id`; undefined when the text is outside the subset. */
export function parseJsonPath(text: string): JsonPath | undefined {
  const source = text.trim();
  if (!source.startsWith('$')) return undefined;
  const keys: JsonPath = [];
  TOKEN.lastIndex = 1;
  while (TOKEN.lastIndex < source.length) {
    const start = TOKEN.lastIndex;
    const match = TOKEN.exec(source);
    if (!match || match.index !== start) return undefined;
    if (match[1] !== undefined) keys.push(match[1]);
    else if (match[2] !== undefined) keys.push(Number(match[2]));
    else keys.push(match[3] ?? match[4]);
  }
  return keys;
}

/** The value at a parsed path, or undefined when any step is missing. */
export function readJsonPath(value: unknown, path: JsonPath): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    if (typeof key === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[key < 0 ? current.length + key : key];
    } else {
      if (!Object.prototype.hasOwnProperty.call(current, key)) return undefined;
      current = (current as Record<string, unknown>)[key];
    }
  }
  return current;
}
