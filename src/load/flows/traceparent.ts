/**
 * A fresh W3C traceparent (https://www.w3.org/TR/trace-context/) on every request the load engine
 * sends, so that an app instrumented with sqlcommenter (OpenTelemetry's pg, Django, Rails, Spring,
 * Prisma…) writes it into each statement and perfspec's PostgreSQL proxy can count the statements of
 * each request (src/sources/postgres/trace-attribution.ts).
 *
 * Cheap on the hot path: the header is encoded once with a placeholder value; per request the
 * encoded bytes are copied (a constant request's bytes are shared by every virtual user and may still
 * sit in a socket's queue) and the 48 hex digits of the ids are written over the placeholder.
 *
 * The trace id says whose request it was without any bookkeeping between threads:
 *   trace-id  = run tag (8 hex) · request entry (4 hex) · generator (8 hex, random) · sequence (12 hex)
 *   parent-id = generator (8 hex) · low 8 hex of the sequence
 * The run tag (from the run id and the scenario name) lets the load probe take its own traces from
 * the proxy; the entry names the request (compile-flows.ts StatEntry). The sampled flag is set, so
 * instrumentations that honour it record (and comment) the request.
 */
import { createHash, randomBytes } from 'node:crypto';

export const TRACEPARENT_PLACEHOLDER = `00-${'0'.repeat(32)}-${'0'.repeat(16)}-01`;
const PLACEHOLDER_BYTES = Buffer.from(TRACEPARENT_PLACEHOLDER, 'latin1');
export const DEFAULT_TRACE_HEADER = 'traceparent';
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export type TraceConfig = boolean | { header?: string } | undefined;

/** The header to send the traceparent in, or undefined when tracing is off; throws a message when invalid. */
export function traceHeaderOf(config: TraceConfig): string | undefined {
  if (config === false) return undefined;
  if (config === undefined || config === true) return DEFAULT_TRACE_HEADER;
  const header = config.header ?? DEFAULT_TRACE_HEADER;
  if (!HEADER_NAME.test(header)) throw new Error(`trace.header "${header}" is not an HTTP header name`);
  return header;
}

/** The 8-hex tag of one scenario run: the same in every generator thread (they share the run id). */
export function traceTagOf(runId: string, scenario: string): string {
  return createHash('sha1').update(`${runId}\0${scenario}`).digest('hex').slice(0, 8);
}

/** Where the placeholder value sits in encoded request bytes (the first match is in the head). */
export function traceOffsetIn(bytes: Buffer): number | undefined {
  const at = bytes.indexOf(PLACEHOLDER_BYTES);
  return at < 0 ? undefined : at;
}

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

/**
 * Write `value` (an integer below 2^53) as `digits` lower-case hex digits, zero-padded, into
 * `bytes` at `at`, high digit first; digits beyond `digits` are dropped. No string is made: this
 * runs for every request the load engine sends.
 */
export function writeHex(bytes: Buffer, at: number, value: number, digits: number): void {
  let rest = value;
  for (let i = at + digits - 1; i >= at; i -= 1) {
    const digit = rest % 16;
    bytes[i] = HEX_DIGITS[digit]!;
    rest = (rest - digit) / 16;
  }
}

export class TraceStamper {
  /** The run tag's 8 hex digits, then the entry's 4 (written per request), then the generator's 8. */
  private readonly tag: Buffer;
  private readonly generator: Buffer;
  private sequence = 0;

  constructor(tag: string, generator?: string) {
    // The first digit is never 0, so the parent id is never all zeros (invalid per W3C).
    const random = generator ?? randomBytes(4).toString('hex');
    this.tag = Buffer.from(tag, 'latin1');
    this.generator = Buffer.from((random[0] === '0' ? '8' : random[0]) + random.slice(1), 'latin1');
  }

  /**
   * Write fresh ids over the placeholder whose value starts at `offset`:
   * trace id = tag · entry (4 hex) · generator · sequence (12 hex); parent id = generator · the
   * sequence's low 8 hex digits.
   */
  stamp(bytes: Buffer, offset: number, entry: number): void {
    const seq = ++this.sequence;
    const traceId = offset + 3;
    this.tag.copy(bytes, traceId);
    writeHex(bytes, traceId + 8, entry & 0xffff, 4);
    this.generator.copy(bytes, traceId + 12);
    writeHex(bytes, traceId + 20, seq, 12);
    this.generator.copy(bytes, offset + 36);
    writeHex(bytes, offset + 44, seq % 0x1_0000_0000, 8);
  }
}

/** The request entry a trace id of this run names; undefined for another run's or a foreign id. */
export function entryOfTraceId(traceId: string, tag: string): number | undefined {
  if (traceId.length !== 32 || !traceId.startsWith(tag)) return undefined;
  const entry = Number.parseInt(traceId.slice(8, 12), 16);
  return Number.isNaN(entry) ? undefined : entry;
}

/** A fresh random traceparent, sampled (checks and setup: one per request, off the load hot path). */
export function freshTraceparent(): string {
  const bytes = randomBytes(24);
  bytes[0] |= 0x01; // never an all-zero trace id
  bytes[16] |= 0x01; // never an all-zero parent id
  return `00-${bytes.toString('hex', 0, 16)}-${bytes.toString('hex', 16, 24)}-01`;
}

/** The request's headers with a fresh traceparent under `header`, unless the request sets that header itself. */
export function withFreshTraceparent(headers: Record<string, string>, header: string): Record<string, string> {
  const lower = header.toLowerCase();
  for (const name of Object.keys(headers)) if (name.toLowerCase() === lower) return headers;
  return { ...headers, [header]: freshTraceparent() };
}
