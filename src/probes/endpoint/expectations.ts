/** `expect.json`: JSONPath → expected value, checked against a response body (pure). */
import { parseJsonPath, readJsonPath } from '../../spec/json-path.js';

export interface ExpectationFailure {
  path: string;
  expected: unknown;
  actual: unknown;
}

/** The first expectation a body does not meet, or undefined when all hold. */
export function checkJsonExpectations(body: string, expectations: Record<string, unknown>): ExpectationFailure | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    const [path, expected] = Object.entries(expectations)[0] ?? ['$', undefined];
    return { path, expected, actual: '(body is not JSON)' };
  }
  for (const [path, expected] of Object.entries(expectations)) {
    const segments = parseJsonPath(path);
    const actual = segments ? readJsonPath(parsed, segments) : undefined;
    if (!isDeepEqual(actual, expected)) return { path, expected, actual };
  }
  return undefined;
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
