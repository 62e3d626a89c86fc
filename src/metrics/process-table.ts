/**
 * A snapshot of the machine's processes from Linux's /proc: pid, parent, process group and CPU
 * time used so far. Two snapshots around a measurement tell how much CPU each process took during
 * it, which is how the host-contention rule (host-contention.ts) tells the system under test's CPU
 * from other programs'. Elsewhere than Linux there is no /proc: the snapshot is undefined and the
 * rule is not applied.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessEntry {
  pid: number;
  ppid: number;
  pgrp: number;
  /** Executable name as the kernel reports it (at most 15 characters). */
  comm: string;
  /** User + system CPU time used so far, in clock ticks (see TICKS_PER_SECOND). */
  cpuTicks: number;
}

/** Linux's USER_HZ: /proc reports CPU times in 1/100 s on every architecture Node runs on. */
export const TICKS_PER_SECOND = 100;

/**
 * Parse one /proc/PID/stat line. The command name sits in parentheses and may itself hold spaces
 * and parentheses, so the fields are counted from the last ")". Pure.
 */
export function parseProcStat(line: string): ProcessEntry | undefined {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(line.slice(0, open).trim());
  // After ")": state(3) ppid(4) pgrp(5) session(6) tty(7) tpgid(8) flags(9) minflt(10) cminflt(11)
  // majflt(12) cmajflt(13) utime(14) stime(15) …
  const rest = line.slice(close + 2).split(' ');
  const ppid = Number(rest[1]);
  const pgrp = Number(rest[2]);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (![pid, ppid, pgrp, utime, stime].every(Number.isFinite)) return undefined;
  return { pid, ppid, pgrp, comm: line.slice(open + 1, close), cpuTicks: utime + stime };
}

/** Every process visible in /proc, by pid; undefined when /proc cannot be read. */
export function readProcessTable(procDir = '/proc'): Map<number, ProcessEntry> | undefined {
  let names: string[];
  try {
    names = readdirSync(procDir);
  } catch {
    return undefined;
  }
  const table = new Map<number, ProcessEntry>();
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const entry = parseProcStat(readFileSync(`${procDir}/${name}/stat`, 'latin1'));
      if (entry) table.set(entry.pid, entry);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return table.size > 0 ? table : undefined;
}
