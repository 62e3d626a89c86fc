import type { SecretRegistry } from '../report/redact.js';

/** The slice of `process` the CLI uses; tests pass a fake one and read what was written. */
export interface CliProcess {
  argv: string[];
  env: Record<string, string | undefined>;
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  cwd(): string;
  on(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  off(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  exitCode?: number | string | null;
  /** Present on the real process: called once output is written. */
  exit?: (code: number) => never;
  /** The run's secrets; everything written to stdout/stderr is redacted with them (see redacting-process.ts). */
  secrets?: SecretRegistry;
}
