/**
 * The host watches itself while a probe measures: perfspec's own event-loop delay and CPU, and
 * the machine's CPU use and load average. A saturated host can only make latencies larger, so a
 * latency PASS measured on it stands, while a FAIL measured on it is re-measured before it is
 * believed (see src/probes/endpoint/saturation.ts).
 *
 * I/O (os, process, perf_hooks) lives in startHostMonitor; judging the figures is the pure
 * judgeHostLoad, unit-tested without a machine.
 */
import { hostProcess } from '../host-process.js';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface HostLoad {
  /** Logical CPUs of the machine. */
  cpus: number;
  /** 1-minute load average at the start and end of the measurement. */
  loadBefore: number;
  loadAfter: number;
  /** Share (0..1) of all CPU time the whole machine spent busy over the measurement. */
  machineBusy: number;
  /** CPU perfspec itself used, in cores (CPU seconds per wall second). */
  perfspecCores: number;
  /** perfspec's event-loop delay over the measurement (ms); 0 when nothing was sampled. */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  durationMs: number;
  /** True when any figure crossed its limit (see HOST_LIMITS); `reasons` say which. */
  saturated: boolean;
  reasons: string[];
}

export const HOST_LIMITS = {
  /** The machine had almost no idle CPU: the target and perfspec queued for a core. */
  machineBusy: 0.9,
  /** More runnable tasks than cores, on average over the last minute (per core). */
  loadPerCpu: 1.5,
  /** perfspec's own timers fired this late: its timestamps carry the lag. */
  eventLoopDelayP99Ms: 20,
};

export type HostFigures = Omit<HostLoad, 'saturated' | 'reasons'>;

/** Decide from the raw figures whether the host was saturated, and say why. Pure. */
export function judgeHostLoad(figures: HostFigures): HostLoad {
  const reasons: string[] = [];
  if (figures.machineBusy >= HOST_LIMITS.machineBusy) reasons.push(`the machine's CPUs were ${Math.round(figures.machineBusy * 100)}% busy`);
  const load = Math.max(figures.loadBefore, figures.loadAfter);
  if (figures.cpus > 0 && load >= figures.cpus * HOST_LIMITS.loadPerCpu) reasons.push(`load average ${load.toFixed(1)} on ${figures.cpus} CPUs`);
  if (figures.eventLoopDelayP99Ms >= HOST_LIMITS.eventLoopDelayP99Ms)
    reasons.push(`perfspec's event loop was delayed up to ${figures.eventLoopDelayP99Ms.toFixed(0)}ms (p99)`);
  return { ...figures, saturated: reasons.length > 0, reasons };
}

/** One line for reports: "2 CPUs, load 5.1 → 6.3, machine CPU 97% busy, perfspec 0.31 cores, event-loop delay p99 12ms". */
export function describeHostLoad(load: HostLoad): string {
  return [
    `${load.cpus} CPUs`,
    `load ${load.loadBefore.toFixed(1)} → ${load.loadAfter.toFixed(1)}`,
    `machine CPU ${Math.round(load.machineBusy * 100)}% busy`,
    `perfspec ${load.perfspecCores.toFixed(2)} cores`,
    `event-loop delay p99 ${load.eventLoopDelayP99Ms.toFixed(1)}ms`,
  ].join(', ');
}

export interface HostMonitor {
  /** Stop watching and return what was seen since start. */
  stop(): HostLoad;
}

export interface CpuTimes {
  busy: number;
  total: number;
  cpus: number;
}

/** The machine's busy and total CPU time so far (ms, summed over its CPUs). */
export function machineCpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  const cpus = os.cpus();
  for (const cpu of cpus) {
    const { user, nice, sys, irq, idle } = cpu.times;
    busy += user + nice + sys + irq;
    total += user + nice + sys + irq + idle;
  }
  return { busy, total, cpus: cpus.length || os.availableParallelism() };
}

/** Start watching the host (cheap: one histogram timer at 10 ms resolution). */
export function startHostMonitor(now: () => number = () => performance.now()): HostMonitor {
  const startedAt = now();
  const loadBefore = os.loadavg()[0] ?? 0;
  const cpuBefore = machineCpuTimes();
  const host = hostProcess();
  const processBefore = host.cpuUsage();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let stopped: HostLoad | undefined;
  return {
    stop() {
      if (stopped) return stopped;
      delay.disable();
      const durationMs = Math.max(1, now() - startedAt);
      const cpuAfter = machineCpuTimes();
      const processCpu = host.cpuUsage(processBefore);
      const totalDelta = cpuAfter.total - cpuBefore.total;
      // monitorEventLoopDelay reports nanoseconds and includes its own resolution; subtract it.
      const toMs = (ns: number) => (Number.isFinite(ns) && delay.count > 0 ? Math.max(0, ns / 1e6 - 10) : 0);
      stopped = judgeHostLoad({
        cpus: os.cpus().length || os.availableParallelism(),
        loadBefore,
        loadAfter: os.loadavg()[0] ?? 0,
        machineBusy: totalDelta > 0 ? (cpuAfter.busy - cpuBefore.busy) / totalDelta : 0,
        perfspecCores: (processCpu.user + processCpu.system) / 1000 / durationMs,
        eventLoopDelayP99Ms: toMs(delay.percentile(99)),
        eventLoopDelayMaxMs: toMs(delay.max),
        durationMs,
      });
      return stopped;
    },
  };
}

/**
 * Wait (up to maxWaitMs) until the machine's CPUs have some idle time again, sampling every
 * second. Returns whether it calmed. Used before re-measuring a FAIL seen under saturation.
 */
export async function waitForCalm(maxWaitMs: number, signal?: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + maxWaitMs;
  while (Date.now() < deadline && !signal?.aborted) {
    const before = machineCpuTimes();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = machineCpuTimes();
    const total = after.total - before.total;
    if (total > 0 && (after.busy - before.busy) / total < HOST_LIMITS.machineBusy) return true;
  }
  return false;
}
