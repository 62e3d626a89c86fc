/**
 * Run the real CLI in-process with a fake process (size-limit's createProcess): the test reads
 * what perfspec wrote and the exit code, without spawning.
 */
import { main } from '../../src/cli/main.js';
import type { CliProcess } from '../../src/cli/process.js';

export interface CliOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  signal?: AbortSignal;
  /** Called on every stdout write with a function that delivers SIGINT (a Ctrl-C at that moment). */
  onStdout?: (text: string, interrupt: () => void) => void;
}

export async function runCli(args: string[], options: RunCliOptions = {}): Promise<CliOutcome> {
  let stdout = '';
  let stderr = '';
  const listeners = new Map<string, Set<() => void>>();
  const proc: CliProcess = {
    argv: ['node', 'perfspec', ...args],
    env: { ...(options.env ?? { PATH: process.env.PATH }) },
    stdout: {
      write: (text: string) => {
        stdout += text;
        options.onStdout?.(text, () => [...(listeners.get('SIGINT') ?? [])].forEach((listener) => listener()));
        return true;
      },
    },
    stderr: { write: (text: string) => (stderr += text) },
    cwd: () => options.cwd ?? process.cwd(),
    on: (event, listener) => listeners.set(event, (listeners.get(event) ?? new Set()).add(listener)),
    off: (event, listener) => listeners.get(event)?.delete(listener),
  };
  // A test can simulate Ctrl-C by aborting its signal: the CLI's SIGINT handler is called.
  options.signal?.addEventListener('abort', () => listeners.get('SIGINT')?.forEach((listener) => listener()));
  const exitCode = await main(proc);
  return { exitCode, stdout, stderr };
}
