/** Thrown when a request exceeds its timeout; probes count it as an error of kind "timeout". */
export class RequestTimeoutError extends Error {
  constructor(
    readonly timeoutMs: number,
    url: string,
  ) {
    super(`no complete response within ${timeoutMs}ms from ${url}`);
    this.name = 'RequestTimeoutError';
  }
}
