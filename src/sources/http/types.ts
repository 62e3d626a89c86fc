/** The HTTP adapter's contract, kept apart from judging so probes can be tested in-process. */

export interface HttpRequest {
  method: string;
  /** Absolute URL. */
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Body as text, at most maxBodySize bytes of it (bodies are read fully, so keep-alive connections are reusable). */
  body: string;
  /** Bytes the body really had (counted beyond the cap). */
  bodyBytes?: number;
  /** True when `body` holds only the first maxBodySize bytes. */
  bodyTruncated?: boolean;
  /** Milliseconds from sending the request to the last byte of the body. */
  durationMs: number;
}

export interface HttpClient {
  /** Sends one request; rejects on network errors and on the per-request timeout. */
  send(request: HttpRequest, options?: { timeoutMs?: number; signal?: AbortSignal; maxBodySize?: number }): Promise<HttpResponse>;
  close(): Promise<void>;
}
