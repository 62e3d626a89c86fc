/**
 * The process's open-file limit and how many descriptors it holds now, read from /proc on Linux
 * (undefined elsewhere: the check is then skipped). Node raises its soft limit to the hard limit
 * when it starts (node.cc, PlatformInit), and has no setrlimit of its own, so the limit read here
 * is the most this process can ever open: the only fixes are outside it (`ulimit -n` before
 * starting perfspec, a higher hard limit, fewer connections).
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface OpenFileLimit {
  soft: number;
  hard: number;
  /** Descriptors open now. */
  inUse: number;
}

/** Parse the "Max open files" line of /proc/<pid>/limits; "unlimited" is Infinity. */
export function parseOpenFileLimit(limits: string): { soft: number; hard: number } | undefined {
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
  if (!match) return undefined;
  const read = (text: string) => (text === 'unlimited' ? Number.POSITIVE_INFINITY : Number(text));
  const soft = read(match[1]);
  const hard = read(match[2]);
  return Number.isNaN(soft) || Number.isNaN(hard) ? undefined : { soft, hard };
}

export function readOpenFileLimit(): OpenFileLimit | undefined {
  try {
    const limit = parseOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'));
    if (!limit) return undefined;
    // The directory listing itself holds one descriptor while it is read.
    const inUse = Math.max(0, readdirSync('/proc/self/fd').length - 1);
    return { ...limit, inUse };
  } catch {
    return undefined;
  }
}
