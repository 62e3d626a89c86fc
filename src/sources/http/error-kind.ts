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
  // The server broke HTTP/1.1 framing: a bad Content-Length, bytes beyond the response, an answer nobody asked for.
  'protocol_error',
  // An interpolated value would have put CR, LF or NUL into the request: it was not sent.
  'unsafe_request',
  // The load generator's own limits, not the target's (src/load/run/resource-errors.ts):
  // EMFILE/ENFILE, EADDRNOTAVAIL (no free local port), ENOBUFS/ENOMEM.
  'too_many_open_files',
  'local_ports_exhausted',
  'no_buffer_space',
  'other',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/**
 * What broke HTTP/1.1 framing, counted per kind so a report can say which (every one but
 * `idle_answer` is also a request failed with `protocol_error`):
 * - bad_content_length: negative, malformed or conflicting Content-Length (RFC 9112 §6.3);
 * - bad_status_line: the head does not start with `HTTP/1.x NNN`;
 * - bad_chunk: a chunk-size line that is not hex;
 * - unrequested_bytes: bytes beyond a complete response (plain or chunked) while one request was
 *   in flight: a response sent before its request, followed by the real one;
 * - idle_answer: bytes on a connection with no request in flight (an answer nobody asked for,
 *   e.g. a server that greets each connection with a response and closes it); no request is
 *   charged with it, and the socket is dropped.
 */
export const PROTOCOL_FAULTS = ['bad_content_length', 'bad_status_line', 'bad_chunk', 'unrequested_bytes', 'idle_answer'] as const;
export type ProtocolFault = (typeof PROTOCOL_FAULTS)[number];
export type ProtocolFaultCounts = Partial<Record<ProtocolFault, number>>;

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
