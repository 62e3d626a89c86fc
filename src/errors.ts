/**
 * One catalogue of the errors perfspec reports to people, each with a stable code and the exit code
 * it maps to. Nothing outside src/cli turns these into process exits; the CLI prints `message` and
 * `hint` and never a stack trace.
 */

/** Named exit codes (documented in the README). */
export const ExitCode = {
  /** Every budget met. */
  Pass: 0,
  /** At least one budget at level `error` failed. */
  BudgetFailed: 1,
  /** The spec or the command line is invalid. */
  InvalidInput: 2,
  /** A service or the target could not be reached, or a probe broke. */
  Infrastructure: 3,
  /** Interrupted by the user (Ctrl-C); the partial report is still written. */
  Aborted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorCode =
  | 'PS_USAGE'
  | 'PS_SPEC_NOT_FOUND'
  | 'PS_SPEC_INVALID'
  | 'PS_TARGET_UNREACHABLE'
  | 'PS_TARGET_START_FAILED'
  | 'PS_SETUP_FAILED'
  | 'PS_PG_UNREACHABLE'
  | 'PS_PG_STAT_STATEMENTS'
  | 'PS_REDIS_UNREACHABLE'
  | 'PS_PROBE_FAILED'
  | 'PS_ABORTED';

const EXIT_BY_CODE: Record<ErrorCode, ExitCode> = {
  PS_USAGE: ExitCode.InvalidInput,
  PS_SPEC_NOT_FOUND: ExitCode.InvalidInput,
  PS_SPEC_INVALID: ExitCode.InvalidInput,
  PS_TARGET_UNREACHABLE: ExitCode.Infrastructure,
  PS_TARGET_START_FAILED: ExitCode.Infrastructure,
  PS_SETUP_FAILED: ExitCode.Infrastructure,
  PS_PG_UNREACHABLE: ExitCode.Infrastructure,
  PS_PG_STAT_STATEMENTS: ExitCode.Infrastructure,
  PS_REDIS_UNREACHABLE: ExitCode.Infrastructure,
  PS_PROBE_FAILED: ExitCode.Infrastructure,
  PS_ABORTED: ExitCode.Aborted,
};

/** An error meant for the person running perfspec: `message` says what, `hint` says what to do. */
export class PerfspecError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly exitCode: ExitCode;
  /** Extra lines (e.g. every schema problem) printed after the message. */
  readonly details: string[];

  constructor(code: ErrorCode, message: string, options: { hint?: string; details?: string[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PerfspecError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? [];
    this.exitCode = EXIT_BY_CODE[code];
  }
}

export function isPerfspecError(error: unknown): error is PerfspecError {
  return error instanceof PerfspecError;
}

/** Short text of any thrown value, for places that must not print a stack. */
export function describeError(error: unknown): string {
  // perfspec's own codes (PS_PROBE_FAILED) are for programs, not people: the message says it all.
  if (error instanceof PerfspecError) return error.message;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (error instanceof AggregateError && error.errors.length > 0) return describeError(error.errors[0]);
    return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message || String(code ?? error.name);
  }
  return String(error);
}
