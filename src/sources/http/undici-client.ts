/**
 * The HTTP adapter: one undici Pool per origin (keep-alive, no per-request connection setup),
 * bodies always read to the end so connections go back to the pool, and a per-request timeout
 * that covers headers and body.
 */
import { performance } from 'node:perf_hooks';
import type { Pool } from 'undici';
import { RequestTimeoutError } from './request-timeout.js';
import type { HttpClient, HttpRequest, HttpResponse } from './types.js';
import { DEFAULT_MAX_BODY_SIZE } from '../../units/quantity.js';

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
  /** Bytes of each body kept as text (default 8 MiB); the rest is read (timed, counted) and dropped. */
  maxBodySize?: number;
}

export { DEFAULT_MAX_BODY_SIZE };

/**
 * Read a body to its end (the latency includes the last byte, and the connection goes back to the
 * pool) while keeping at most `cap` bytes: a 1 GiB response must not take the process to 2 GB.
 */
export async function readCapped(body: AsyncIterable<Buffer | Uint8Array>, cap: number): Promise<{ text: string; bytes: number; truncated: boolean }> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.length;
    if (keptBytes < cap) {
      const part = Buffer.from(chunk.buffer, chunk.byteOffset, Math.min(chunk.length, cap - keptBytes));
      kept.push(Buffer.from(part));
      keptBytes += part.length;
    }
  }
  return { text: Buffer.concat(kept).toString('utf8'), bytes, truncated: bytes > keptBytes };
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
        const body = await readCapped(response.body, sendOptions.maxBodySize ?? options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE);
        return {
          status: response.statusCode,
          headers: response.headers,
          body: body.text,
          bodyBytes: body.bytes,
          bodyTruncated: body.truncated,
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
