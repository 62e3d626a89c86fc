/**
 * How the endpoint probe sends one request and learns when its bytes left and its last byte came
 * back. Two ways, one outcome shape (the load engine's Http1Outcome):
 *
 * - the load engine's lean HTTP/1.1 client (http and https): one keep-alive connection per
 *   concurrency slot, the request encoded once, the timestamps taken by the client right before
 *   the socket write and right after the response's last byte is parsed — nothing of the probe's
 *   own work falls inside the span;
 * - undici (ctx.http), kept for requests the lean client refuses to encode (see lean-request.ts),
 *   so they behave exactly as before. Its span is undici's own and it reports no time to first byte.
 */
import { performance } from 'node:perf_hooks';
import { Http1Client, type Http1Callback, type Http1Outcome } from '../../load/http/http1-client.js';
import type { HttpClient, HttpRequest } from '../../sources/http/types.js';
import { classifyError, type ErrorKind } from '../request-outcome.js';
import type { LeanRequest } from './lean-request.js';

export interface TimedTransport {
  /** "http1" (the lean client) or "undici" (the fallback): shown in the result data. */
  readonly client: 'http1' | 'undici';
  /** Send one request; `done` is called exactly once, possibly synchronously. */
  send(done: Http1Callback): void;
  /** Stop: requests in flight complete as interrupted. Idempotent. */
  close(): void;
  /** Responses so far whose body was longer than maxBodySize (read to the end and timed, not kept whole). */
  bodiesOverCap?(): number;
  /**
   * Open up to `count` keep-alive connections (no HTTP byte written) and wait until they are
   * connected or `timeoutMs` passed, so no measured sample pays for a TCP or TLS handshake.
   * Absent where the client manages its own connections (undici).
   */
  preconnect?(count: number, timeoutMs: number): Promise<void>;
}

/** The lean client; `next` gives the request to send (the same object when nothing varies per request). */
export function leanTransport(
  next: () => LeanRequest,
  options: { origin: string; concurrency: number; keepBody: boolean; maxBodySize?: number },
): TimedTransport {
  const client = new Http1Client(Math.max(1, options.concurrency), { maxBodySize: options.maxBodySize });
  return {
    client: 'http1',
    send(done) {
      let built: LeanRequest;
      try {
        built = next();
      } catch (error) {
        // A request that cannot be written faithfully (CR/LF after interpolation) is an error of
        // that request: nothing is sent.
        done(notSent(error));
        return;
      }
      client.submit(built.origin, built.request, options.keepBody, done);
    },
    close: () => client.destroy(),
    bodiesOverCap: () => client.bodiesOverCap,
    preconnect: (count, timeoutMs) => client.preconnect(options.origin, count, timeoutMs),
  };
}

/** undici, for requests the lean client will not write; `signal` aborts requests in flight. */
export function undiciTransport(
  http: HttpClient,
  next: () => HttpRequest,
  options: { timeoutMs: number; signal: AbortSignal; maxBodySize?: number },
): TimedTransport {
  let closed = false;
  let overCap = 0;
  return {
    client: 'undici',
    send(done) {
      const sentAt = performance.now();
      let request: HttpRequest;
      try {
        request = next();
      } catch (error) {
        done(notSent(error));
        return;
      }
      http.send(request, { timeoutMs: options.timeoutMs, signal: options.signal, maxBodySize: options.maxBodySize }).then(
        (response) => {
          if (response.bodyTruncated) overCap++;
          done({ status: response.status, body: response.body, sentAt, firstByteAt: 0, endedAt: sentAt + response.durationMs, interrupted: false });
        },
        (error: unknown) => {
          const kind = classifyError(error);
          const now = performance.now();
          done({ status: 0, error: kind, sentAt, firstByteAt: 0, endedAt: now, interrupted: kind === 'aborted' || closed });
        },
      );
    },
    close() {
      closed = true;
    },
    bodiesOverCap: () => overCap,
  };
}

/** The outcome of a request that was never sent because it could not be built. */
function notSent(error: unknown): Http1Outcome {
  const now = performance.now();
  return { status: 0, error: classifyError(error), sentAt: now, firstByteAt: 0, endedAt: now, interrupted: false };
}

/** A transport whose every request fails before the wire (its template cannot be built safely). */
export function failingTransport(error: unknown): TimedTransport {
  return { client: 'undici', send: (done) => done(notSent(error)), close: () => undefined, bodiesOverCap: () => 0 };
}

/** The probe's name for what went wrong with a request (the keys of `errors` in results). */
export function errorOf(outcome: Http1Outcome): ErrorKind {
  if (outcome.interrupted) return 'aborted';
  return outcome.error ?? 'other';
}

/** One request as a promise (the cold request; not used per sample). */
export function sendOnce(transport: TimedTransport): Promise<Http1Outcome> {
  return new Promise((resolve) => transport.send(resolve));
}
