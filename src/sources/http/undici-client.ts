/**
 * The HTTP adapter: one undici Pool per origin (keep-alive, no per-request connection setup),
 * bodies always read to the end so connections go back to the pool, and a per-request timeout
 * that covers headers and body.
 */
import { performance } from 'node:perf_hooks';
import type { Pool } from 'undici';
import { RequestTimeoutError } from './request-timeout.js';
import type { HttpClient, HttpRequest, HttpResponse } from './types.js';

export { RequestTimeoutError };

/** undici (~20 % of the CLI's start-up) is imported by the first request, not by the command line. */
let PoolClass: typeof Pool | undefined;
async function loadPool(): Promise<typeof Pool> {
  return (PoolClass ??= (await import('undici')).Pool);
}

export interface HttpClientOptions {
  /** Connections per origin (default 16). */
  connections?: number;
  /** Default per-request timeout in ms (default 10 000). */
  timeoutMs?: number;
}

export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const pools = new Map<string, Pool>();
  const poolFor = (PoolCtor: typeof Pool, origin: string): Pool => {
    let pool = pools.get(origin);
    if (!pool) {
      pool = new PoolCtor(origin, { connections: options.connections ?? 16, pipelining: 1 });
      pools.set(origin, pool);
    }
    return pool;
  };

  return {
    async send(request: HttpRequest, sendOptions = {}): Promise<HttpResponse> {
      // Awaited only until undici is loaded, so later requests pay no extra tick.
      const PoolCtor = PoolClass ?? (await loadPool());
      const url = new URL(request.url);
      const timeoutMs = sendOptions.timeoutMs ?? options.timeoutMs ?? 10_000;
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = sendOptions.signal ? AbortSignal.any([timeout, sendOptions.signal]) : timeout;
      const started = performance.now();
      try {
        const response = await poolFor(PoolCtor, url.origin).request({
          path: url.pathname + url.search,
          method: request.method as 'GET',
          headers: request.headers,
          body: request.body,
          signal,
        });
        const body = await response.body.text();
        return {
          status: response.statusCode,
          headers: response.headers,
          body,
          durationMs: performance.now() - started,
        };
      } catch (error) {
        if (timeout.aborted) throw new RequestTimeoutError(timeoutMs, url.origin + url.pathname);
        throw error;
      }
    },
    async close() {
      await Promise.all([...pools.values()].map((pool) => pool.close().catch(() => undefined)));
      pools.clear();
    },
  };
}
