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

/** Milliseconds of a duration like "250ms" or "15m"; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * MS_PER_UNIT[match[2]];
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
