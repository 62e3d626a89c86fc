/**
 * Is a service's server a process on this machine, and which? The host-contention rule needs the
 * pids of the services the spec names so that their CPU counts as the system under test's, not as
 * another program's. A server elsewhere (another host) has no pid here: none is returned.
 */
import { readFileSync } from 'node:fs';
import { parseProcStat } from './process-table.js';

/** Loopback host names and addresses, and Unix socket directories (a path). */
export function isLocalHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare.startsWith('/') || bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

/** The process `pid` if it exists here and its executable name starts with `commPrefix`; else undefined. */
export function localProcess(pid: number, commPrefix: string, procDir = '/proc'): { pid: number; ppid: number } | undefined {
  try {
    const entry = parseProcStat(readFileSync(`${procDir}/${pid}/stat`, 'latin1'));
    return entry && entry.comm.startsWith(commPrefix) ? { pid: entry.pid, ppid: entry.ppid } : undefined;
  } catch {
    return undefined;
  }
}
