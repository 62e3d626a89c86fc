/**
 * What only an operating-system process has — its pid, its CPU time, signals and exit hooks — as one
 * small object that src/cli installs when it starts (src/cli/main.ts) and tests install from a setup
 * file (test/helpers/install-host-process.ts). Every module outside src/cli reaches the process through
 * it, never through the `process` global (ESLint holds that rule for all of src/ but src/cli).
 *
 * Why installed once rather than passed down each call chain: these facilities are one per process,
 * not per run or per spec — the Redis exit guard's signal handlers, the pid that names a lease or a
 * temp file, the CPU time of the whole process. Environment, working directory and clocks differ
 * per call and are passed in as parameters (HostEnvironment, RunOptions.now, LoadRuntime).
 */

/** The slice of Node's `process` used below src/cli (the real `process` satisfies it). */
export interface HostProcess {
  readonly pid: number;
  /** The node binary, to run a helper script synchronously (the Redis exit guard). */
  readonly execPath: string;
  /** CPU time used by this process (all threads), since `previous` when given. */
  cpuUsage(previous?: NodeJS.CpuUsage): NodeJS.CpuUsage;
  /** Send a signal to a process or, with a negative pid, a process group; signal 0 only tests it exists. */
  kill(pid: number, signal?: NodeJS.Signals | number): boolean | void;
  on(event: 'exit', listener: (code: number) => void): unknown;
  on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  once(event: 'exit', listener: (code: number) => void): unknown;
  off(event: 'exit', listener: (code: number) => void): unknown;
  off(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  listenerCount(event: NodeJS.Signals | 'exit'): number;
}

let installed: HostProcess | undefined;

/** Called by src/cli (and the tests' setup file) before anything else runs. */
export function installHostProcess(host: HostProcess): void {
  installed = host;
}

/** The installed process; a missing install is a wiring bug, said plainly. */
export function hostProcess(): HostProcess {
  if (!installed)
    throw new Error('perfspec: no host process installed (src/cli/main.ts installs it; a library caller calls installHostProcess(process) first)');
  return installed;
}

/** Is a process with this pid running (ours counts)? EPERM means it runs under another user. */
export function isProcessAlive(pid: number): boolean {
  const host = hostProcess();
  if (pid === host.pid) return true;
  try {
    host.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
