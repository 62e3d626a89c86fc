/**
 * What happened to one request, classified for reports: a response (with its status) or an error
 * of a named kind. Shared by every probe that sends traffic.
 */
import { RequestTimeoutError } from '../sources/http/undici-client.js';
import { UnsafeRequestError } from '../sources/http/header-safety.js';

export type ErrorKind = 'timeout' | 'connection refused' | 'connection reset' | 'aborted' | 'CR/LF or NUL in the request, not sent' | 'other';

export function classifyError(error: unknown): ErrorKind {
  if (error instanceof RequestTimeoutError) return 'timeout';
  if (error instanceof UnsafeRequestError) return 'CR/LF or NUL in the request, not sent';
  const code = (error as { code?: string } | undefined)?.code ?? '';
  const name = (error as { name?: string } | undefined)?.name ?? '';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'connection reset';
  if (name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') return 'aborted';
  return 'other';
}

/** Counts by key, printed as "48× 200, 2× 500". */
export function formatCounts(counts: Map<string | number, number>): string {
  return [...counts.entries()].map(([key, count]) => `${count}× ${key}`).join(', ') || 'none';
}

export function increment<K>(counts: Map<K, number>, key: K): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
