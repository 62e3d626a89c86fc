/**
 * HTTP for the load engine: one undici Pool per origin, driven through `dispatch` with a small
 * handler object. That skips the Readable stream and Promise machinery of `request()`/`fetch`
 * (the research measured fetch at ~10× the CPU per request), and bodies nobody captures are
 * dropped chunk by chunk instead of being buffered.
 */
import { Pool } from 'undici';
import type { DispatchOptions } from '../flows/compile-flows.js';
import type { ErrorKind } from '../types.js';

export interface SendOutcome {
  status: number;
  /** The response body, only when asked for (captures). */
  body?: string;
  /** Set for network errors and timeouts; status is then 0. */
  error?: ErrorKind;
  /** performance.now() when the request was written to a connection (after any pool queueing). */
  sentAt: number;
  /** performance.now() when the last byte arrived (or the error happened). */
  endedAt: number;
  /** True when the request was cut by the engine stopping: not a failure of the target. */
  interrupted: boolean;
}

export interface TransportOptions {
  connections: number;
  pipelining: number;
}

export class Transport {
  private readonly pools = new Map<string, Pool>();
  private closed = false;

  constructor(private readonly options: TransportOptions) {}

  private poolFor(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.options.connections,
        pipelining: this.options.pipelining,
        keepAliveTimeout: 30_000,
        connect: { timeout: 10_000 },
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  send(origin: string, options: DispatchOptions, keepBody: boolean): Promise<SendOutcome> {
    return new Promise((resolve) => {
      const handler = new OutcomeHandler(resolve, keepBody, this);
      if (this.closed) {
        handler.onError(Object.assign(new Error('stopped'), { code: 'UND_ERR_DESTROYED' }));
        return;
      }
      this.poolFor(origin).dispatch(options as never, handler as never);
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Graceful: finish queued requests, then close. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.pools.values()].map((pool) => pool.close().catch(() => undefined)));
  }

  /** Immediate: in-flight requests fail as interrupted. */
  async destroy(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.pools.values()].map((pool) => pool.destroy().catch(() => undefined)));
  }
}

/** undici's legacy handler interface: the cheapest one (newer handlers are wrapped into it). */
class OutcomeHandler {
  private status = 0;
  private sentAt = 0;
  private chunks: Buffer[] | undefined;

  constructor(
    private readonly resolve: (outcome: SendOutcome) => void,
    keepBody: boolean,
    private readonly transport: Transport,
  ) {
    if (keepBody) this.chunks = [];
  }

  onConnect(): void {
    this.sentAt = performance.now();
  }

  onHeaders(status: number): boolean {
    this.status = status;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks?.push(chunk);
    return true;
  }

  onComplete(): void {
    const endedAt = performance.now();
    this.resolve({
      status: this.status,
      body: this.chunks ? Buffer.concat(this.chunks).toString('utf8') : undefined,
      sentAt: this.sentAt || endedAt,
      endedAt,
      interrupted: false,
    });
  }

  onError(error: Error): void {
    const endedAt = performance.now();
    const kind = classifyError(error);
    const interrupted = this.transport.isClosed && (kind === 'other' || kind === 'connection_reset');
    this.resolve({ status: 0, error: kind, sentAt: this.sentAt || endedAt, endedAt, interrupted });
  }

  onUpgrade(): void {}
  onBodySent(): void {}
  onResponseStarted(): void {}
}

/** Group network errors into the kinds a report can explain. */
export function classifyError(error: unknown): ErrorKind {
  const code = (error as { code?: string } | null)?.code ?? '';
  const cause = (error as { cause?: { code?: string } } | null)?.cause?.code ?? '';
  const codes = `${code} ${cause}`;
  if (/ECONNREFUSED/.test(codes)) return 'connection_refused';
  if (/TIMEOUT|ETIMEDOUT/.test(codes)) return 'timeout';
  if (/ECONNRESET|EPIPE|UND_ERR_SOCKET|ECONNABORTED/.test(codes)) return 'connection_reset';
  return 'other';
}
