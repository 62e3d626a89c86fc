/**
 * The generator's own resource errors: no descriptor left (EMFILE/ENFILE), no local port
 * (EADDRNOTAVAIL), no kernel buffer (ENOBUFS/ENOMEM). They fail at once, before the target sees
 * anything, so a user that retried at once would spin — each failure resolved through
 * process.nextTick, never yielding to the timers that end the run (measured: runs that never
 * ended, RSS growing ~90 MB/s). A user whose request failed so backs off (resourceBackoffMs), and
 * errors that persist stop the run: it measures the generator, not the target. Pure.
 */
import type { ErrorKind } from '../types.js';

export const RESOURCE_ERROR_KINDS: ReadonlySet<ErrorKind> = new Set<ErrorKind>(['too_many_open_files', 'local_ports_exhausted', 'no_buffer_space']);

export function isResourceError(kind: ErrorKind | undefined): boolean {
  return kind !== undefined && RESOURCE_ERROR_KINDS.has(kind);
}

/** First and longest wait of a user after a resource error; doubled after each one in a row. */
export const BACKOFF_MIN_MS = 50;
export const BACKOFF_MAX_MS = 1000;

/** The next wait after `previousMs` (0 = the first error in a row), jittered to ½–1× so users do not retry in step. */
export function resourceBackoffMs(previousMs: number, random: () => number): { waitMs: number; nextMs: number } {
  const nextMs = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, previousMs * 2));
  return { waitMs: nextMs * (0.5 + 0.5 * random()), nextMs };
}

/** Seconds in a row with resource errors after which the run stops. */
export const PERSIST_SECONDS = 3;

/**
 * Watches completed seconds of the run; `add` returns the reason to stop once resource errors were
 * seen in PERSIST_SECONDS seconds in a row, with their counts by kind.
 */
export class ResourceErrorWatch {
  private streak = 0;
  readonly totals: Partial<Record<ErrorKind, number>> = {};

  add(errorKinds: Partial<Record<ErrorKind, number>>): string | undefined {
    let inSecond = 0;
    for (const kind of RESOURCE_ERROR_KINDS) {
      const count = errorKinds[kind] ?? 0;
      if (count > 0) this.totals[kind] = (this.totals[kind] ?? 0) + count;
      inSecond += count;
    }
    this.streak = inSecond > 0 ? this.streak + 1 : 0;
    return this.streak >= PERSIST_SECONDS ? describeResourceErrors(this.totals, PERSIST_SECONDS) : undefined;
  }
}

const FIXES: Partial<Record<ErrorKind, string>> = {
  too_many_open_files: 'raise the open-file limit (`ulimit -n`) or lower `connections`',
  local_ports_exhausted:
    'lower `connections`, keep connections alive (a target that closes each one uses a port per request), or widen net.ipv4.ip_local_port_range',
  no_buffer_space: 'lower `connections` or the load',
};

export function describeResourceErrors(totals: Partial<Record<ErrorKind, number>>, seconds: number): string {
  const kinds = Object.entries(totals).filter(([, n]) => (n ?? 0) > 0) as Array<[ErrorKind, number]>;
  const counts = kinds.map(([kind, n]) => `${n} ${kind.replace(/_/g, ' ')}`).join(', ');
  const fixes = kinds
    .map(([kind]) => FIXES[kind])
    .filter(Boolean)
    .join('; ');
  return `the load generator ran out of its own resources for ${seconds} s in a row (${counts}): requests failed before reaching the target, so its figures would measure perfspec, not the target. Fix: ${fixes}`;
}
