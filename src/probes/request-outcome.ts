/**
 * What happened to one request, classified for reports: a response (with its status) or an error
 * of a named kind. Shared by every probe that sends traffic.
 */
import { errorKindOfCode, type ErrorKind } from '../sources/http/error-kind.js';
import { RequestTimeoutError } from '../sources/http/request-timeout.js';

export type { ErrorKind };

export function classifyError(error: unknown): ErrorKind {
  if (error instanceof RequestTimeoutError) return 'timeout';
  const code = (error as { code?: string } | undefined)?.code;
  const name = (error as { name?: string } | undefined)?.name ?? '';
  if (name === 'AbortError') return 'aborted';
  return errorKindOfCode(code);
}

/** Counts by key, printed as "48× 200, 2× 500". */
export function formatCounts(counts: Map<string | number, number>): string {
  return [...counts.entries()].map(([key, count]) => `${count}× ${key}`).join(', ') || 'none';
}

export function increment<K>(counts: Map<K, number>, key: K): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
