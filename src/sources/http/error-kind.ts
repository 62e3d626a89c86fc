/**
 * The one set of names for what went wrong with a request, used by every probe and the load
 * generator alike (result keys, thresholds, reports): a spec author sees one spelling everywhere.
 */
export const ERROR_KINDS = [
  'timeout',
  'connection_refused',
  'connection_reset',
  'aborted',
  'expect_failed',
  'capture_failed',
  // The load generator's own limits, not the target's (src/load/run/resource-errors.ts):
  // EMFILE/ENFILE, EADDRNOTAVAIL (no free local port), ENOBUFS/ENOMEM.
  'too_many_open_files',
  'local_ports_exhausted',
  'no_buffer_space',
  'other',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** The kind for a socket error code (ECONNREFUSED, ...). */
export function errorKindOfCode(code: string | undefined): ErrorKind {
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (code === 'ETIMEDOUT') return 'timeout';
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED' || code === 'UND_ERR_SOCKET') return 'connection_reset';
  if (code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') return 'aborted';
  if (code === 'EMFILE' || code === 'ENFILE') return 'too_many_open_files';
  if (code === 'EADDRNOTAVAIL') return 'local_ports_exhausted';
  if (code === 'ENOBUFS' || code === 'ENOMEM') return 'no_buffer_space';
  return 'other';
}
