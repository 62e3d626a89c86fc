/**
 * Progress on long runs: on a TTY one live status line that rewrites itself; in CI plain lines,
 * at most one status line every few seconds so logs stay readable.
 */
import type { ProgressSink } from '../probes/types.js';
import type { Redactor } from '../report/redact.js';

export interface ProgressOptions {
  stream: { write(text: string): unknown; isTTY?: boolean };
  redact: Redactor;
  now: () => number;
  /** Minimum milliseconds between two status lines when not on a TTY. */
  plainIntervalMs?: number;
}

export interface ClosableProgress extends ProgressSink {
  clear(): void;
}

export function createProgress(options: ProgressOptions): ClosableProgress {
  const tty = Boolean(options.stream.isTTY);
  const interval = options.plainIntervalMs ?? 5000;
  let lastPlain = -Infinity;
  let live = false;
  const clear = () => {
    if (live) options.stream.write('\r\x1b[K');
    live = false;
  };
  return {
    update(message) {
      const text = options.redact(message);
      if (tty) {
        options.stream.write(`\r\x1b[K${text.slice(0, 120)}`);
        live = true;
      } else if (options.now() - lastPlain >= interval) {
        lastPlain = options.now();
        options.stream.write(`… ${text}\n`);
      }
    },
    info(message) {
      clear();
      options.stream.write(`${options.redact(message)}\n`);
    },
    clear,
  };
}
