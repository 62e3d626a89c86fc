/**
 * Was the machine busy with programs other than perfspec and the system it measures? A latency
 * measured while other processes took the CPUs is inflated by them: the target and perfspec queued
 * for a core. The endpoint probe's saturation rule (host-monitor.ts) counts all CPU use, because at
 * one request at a time the target's own share is small. Under load the target is *meant* to use
 * the CPUs — a server that saturates the machine under 50 users has failed honestly — so the load
 * section asks a sharper question: how much CPU went to processes that are neither perfspec (and
 * what it started: the target, its workers) nor the services the spec names (the PostgreSQL server
 * and its backends, Redis)?
 *
 * The pure part (membership, foreign CPU, the rule) is unit-tested with synthetic process tables;
 * startContentionMonitor is the I/O around it.
 */
import { machineCpuTimes } from './host-monitor.js';
import { readProcessTable, TICKS_PER_SECOND, type ProcessEntry } from './process-table.js';
import { hostProcess } from '../host-process.js';

export interface ContentionFigures {
  cpus: number;
  /** Share (0..1) of all CPU time the machine spent busy. */
  machineBusy: number;
  /** CPU (in cores: CPU seconds per wall second) taken by processes outside the system under test and perfspec. */
  otherCores: number;
  /** The busiest of those processes, for the message. */
  topOthers: Array<{ comm: string; cores: number }>;
  durationMs: number;
}

export interface Contention extends ContentionFigures {
  contended: boolean;
  reason?: string;
  /** Why contention could not be judged (then `contended` is false). */
  unassessed?: string;
}

/**
 * A target on this machine that perfspec did not start is a process it cannot name: its CPU would
 * count as another program's and excuse its own slowness. Then the rule is not applied.
 */
export const UNKNOWN_LOCAL_TARGET =
  "the target runs on this machine but perfspec did not start it, so its CPU cannot be told from other programs' (let perfspec start it with target.start to have this judged)";

/** What a report keeps of a Contention: the figures and the decision, without the per-program breakdown. */
export type ContentionSummary = Omit<Contention, 'topOthers' | 'durationMs'>;

/** The report's copy of a Contention. Pure. */
export function summariseContention({ topOthers: _topOthers, durationMs: _durationMs, ...summary }: Contention): ContentionSummary {
  return summary;
}

export const CONTENTION_LIMITS = {
  /** The machine had almost no idle CPU left … */
  machineBusy: 0.9,
  /** … and other programs took at least this share of all its CPUs. */
  otherShare: 0.25,
};

/**
 * Pids of perfspec, the system under test and everything they started: the descendants of any
 * root, and the members of a root's process group (a target started in its own group). Pure.
 */
export function systemUnderTest(table: ReadonlyMap<number, ProcessEntry>, roots: readonly number[]): Set<number> {
  const rootSet = new Set(roots);
  const known = new Map<number, boolean>();
  // A process belongs when it is a root, or its parent or its process group's leader belongs.
  const belongs = (pid: number, visiting: Set<number>): boolean => {
    const cached = known.get(pid);
    if (cached !== undefined) return cached;
    const entry = table.get(pid);
    if (!entry || visiting.has(pid)) return false;
    visiting.add(pid);
    const member =
      rootSet.has(pid) || (entry.ppid > 1 && belongs(entry.ppid, visiting)) || (entry.pgrp !== pid && entry.pgrp > 1 && belongs(entry.pgrp, visiting));
    known.set(pid, member);
    return member;
  };
  return new Set([...table.keys()].filter((pid) => belongs(pid, new Set())));
}

/**
 * CPU taken during the window by processes outside `members`, in cores. A process that started
 * during the window counts from zero; one that ended during it is not seen (its CPU is lost, which
 * can only make contention look smaller — never excuse a failure that should stand). Pure.
 */
export function otherProcessesCpu(
  before: ReadonlyMap<number, ProcessEntry>,
  after: ReadonlyMap<number, ProcessEntry>,
  members: ReadonlySet<number>,
  durationMs: number,
): { cores: number; top: Array<{ comm: string; cores: number }> } {
  const seconds = Math.max(durationMs, 1) / 1000;
  const byName = new Map<string, number>();
  let ticks = 0;
  for (const entry of after.values()) {
    if (members.has(entry.pid)) continue;
    const previous = before.get(entry.pid);
    // A pid reused by a new process during the window starts from zero.
    const used = previous && previous.comm === entry.comm && previous.cpuTicks <= entry.cpuTicks ? entry.cpuTicks - previous.cpuTicks : entry.cpuTicks;
    if (used <= 0) continue;
    ticks += used;
    byName.set(entry.comm, (byName.get(entry.comm) ?? 0) + used);
  }
  const top = [...byName.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([comm, used]) => ({ comm, cores: used / TICKS_PER_SECOND / seconds }));
  return { cores: ticks / TICKS_PER_SECOND / seconds, top };
}

/** Decide from the figures whether other programs contended for the CPUs, and say how. Pure. */
export function judgeContention(figures: ContentionFigures): Contention {
  const contended =
    figures.cpus > 0 && figures.machineBusy >= CONTENTION_LIMITS.machineBusy && figures.otherCores >= figures.cpus * CONTENTION_LIMITS.otherShare;
  if (!contended) return { ...figures, contended };
  const who = figures.topOthers.map((p) => `${p.comm} ${p.cores.toFixed(2)}`).join(', ');
  return {
    ...figures,
    contended,
    reason:
      `the machine's CPUs were ${Math.round(figures.machineBusy * 100)}% busy and other programs (neither perfspec, the target nor its services) ` +
      `took ${figures.otherCores.toFixed(2)} of ${figures.cpus} CPUs${who ? ` (${who})` : ''}, so the target and perfspec queued for a core`,
  };
}

export interface ContentionMonitor {
  /** Stop watching; undefined when the machine cannot be read (no /proc) or the roots are unknown. */
  stop(): Contention | undefined;
}

/**
 * Watch the machine from now until stop(). `otherRoots` are the service processes the spec names
 * (found by the services themselves); perfspec's own pid, and so every process it started, is
 * always a root.
 */
export function startContentionMonitor(
  otherRoots: readonly number[],
  /** targetUnknown: the target runs on this machine but perfspec did not start it (see UNKNOWN_LOCAL_TARGET). */
  options: { targetUnknown: boolean; now?: () => number },
): ContentionMonitor {
  const now = options.now ?? (() => performance.now());
  const self = hostProcess().pid;
  const before = readProcessTable();
  const cpuBefore = machineCpuTimes();
  const startedAt = now();
  return {
    stop() {
      const after = readProcessTable();
      if (!before || !after) return undefined;
      const durationMs = Math.max(1, now() - startedAt);
      const cpuAfter = machineCpuTimes();
      const total = cpuAfter.total - cpuBefore.total;
      const members = systemUnderTest(after, [self, ...otherRoots]);
      for (const pid of systemUnderTest(before, [self, ...otherRoots])) members.add(pid);
      const others = otherProcessesCpu(before, after, members, durationMs);
      const figures = {
        cpus: cpuAfter.cpus,
        machineBusy: total > 0 ? (cpuAfter.busy - cpuBefore.busy) / total : 0,
        otherCores: others.cores,
        topOthers: others.top,
        durationMs,
      };
      if (options.targetUnknown) return { ...figures, contended: false, unassessed: UNKNOWN_LOCAL_TARGET };
      return judgeContention(figures);
    },
  };
}
