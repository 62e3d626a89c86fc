/**
 * target.trace for the requests of setup, checks and teardown: a fresh W3C traceparent (sampled) on
 * each, so an app that writes it into its SQL (sqlcommenter) lets the PostgreSQL proxy tell which
 * request ran which statement. The load engine stamps its own (src/load/flows/traceparent.ts).
 */
import { PerfspecError } from '../errors.js';
import { traceHeaderOf, withFreshTraceparent, type TraceConfig } from '../load/flows/traceparent.js';
import type { HttpClient } from '../sources/http/types.js';

/** The setting as the probes see it: the header, or false when off. */
export function traceSettingOf(config: TraceConfig): { header: string } | false {
  try {
    const header = traceHeaderOf(config);
    return header === undefined ? false : { header };
  } catch (error) {
    throw new PerfspecError('PS_SPEC_INVALID', `target.${(error as Error).message}`, { hint: 'e.g. trace: { header: traceparent }, or trace: false' });
  }
}

/** The client, sending a fresh traceparent with every request that does not set the header itself. */
export function withTraceparents(http: HttpClient, header: string): HttpClient {
  return {
    close: () => http.close(),
    send: (request, options) => http.send({ ...request, headers: withFreshTraceparent(request.headers, header) }, options),
  };
}
