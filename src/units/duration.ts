/**
 * Durations as people write them ("250ms", "1.5s", "15m", "2h", "500us") parsed once into
 * milliseconds. Pure functions; the schema uses them as ajv formats so a bad value is a spec error.
 */

const MS_PER_UNIT: Record<string, number> = {
  us: 0.001,
  µs: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|h)\s*$/;

/**
 * The longest duration perfspec accepts: 2^31-1 ms (about 596 h), the most a Node timer holds —
 * setTimeout turns anything longer into 1 ms, so a "1000h" timeout would fire at once.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/** Milliseconds of a duration like "250ms" or "15m"; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (text.length > 64) return undefined; // a 400-digit number is not a duration (it would be Infinity)
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const ms = Number(match[1]) * MS_PER_UNIT[match[2]];
  return Number.isFinite(ms) ? ms : undefined;
}

/** Why a duration is out of range, or undefined when it is usable (`positive`: zero is not, as for timeouts). */
export function durationRangeProblem(ms: number, positive = false): string | undefined {
  if (!Number.isFinite(ms) || ms > MAX_DURATION_MS) return 'is longer than the most perfspec can wait (596h, 2^31-1 ms: the longest timer Node holds)';
  if (positive && ms <= 0) return 'must be above zero (a timeout of 0 would fail every request)';
  if (ms < 0) return 'must not be negative';
  return undefined;
}

/** Like parseDuration, but numbers are taken as milliseconds (YAML `timeout: 500`). */
export function toMilliseconds(value: string | number): number | undefined {
  return typeof value === 'number' ? value : parseDuration(value);
}

/** A duration for people: "0.78ms", "12.3ms", "1.50s", "15m", "2h 5m". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const abs = Math.abs(ms);
  if (abs < 1) return `${trim(ms.toFixed(3))}ms`;
  if (abs < 100) return `${trim(ms.toFixed(2))}ms`;
  if (abs < 1000) return `${trim(ms.toFixed(1))}ms`;
  if (abs < 60_000) return `${trim((ms / 1000).toFixed(2))}s`;
  // Round once, then split: rounding the parts separately would print "14m 60s".
  if (abs < 3_600_000 - 500) {
    const totalSeconds = Math.round(ms / 1000);
    const minutes = Math.floor(totalSeconds / 60);
    const seconds = totalSeconds % 60;
    return seconds ? `${minutes}m ${seconds}s` : `${minutes}m`;
  }
  const totalMinutes = Math.round(ms / 60_000);
  const hours = Math.floor(totalMinutes / 60);
  const minutes = totalMinutes % 60;
  return minutes ? `${hours}h ${minutes}m` : `${hours}h`;
}

function trim(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}
