/**
 * The other human units of the spec language: percentages ("95%"), byte sizes ("10MB") and
 * rates ("100/s"). Pure functions, each returning undefined for text it does not recognise.
 */

const PERCENT = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/;

/** "95%" → 95 (percent points, not a fraction). */
export function parsePercent(text: string): number | undefined {
  const match = PERCENT.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  return value <= 100 ? value : undefined;
}

const BYTES_PER_UNIT: Record<string, number> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};
const BYTES = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)\s*$/i;

/** maxBodySize: the default and the bounds the schema allows (1KB – 1GB). */
export const DEFAULT_MAX_BODY_SIZE = 8 * 1024 * 1024;
export const MIN_BODY_SIZE = 1024;
export const MAX_BODY_SIZE = 1024 ** 3;

/** A maxBodySize as written in the spec ("10MB" or a number of bytes) → bytes; the default when absent. */
export function bodySizeBytes(value: string | number | undefined, fallback = DEFAULT_MAX_BODY_SIZE): number {
  if (value === undefined) return fallback;
  const bytes = typeof value === 'number' ? value : parseBytes(value);
  return bytes === undefined ? fallback : Math.floor(bytes);
}

/** "10MB" → 10485760. Sizes use powers of 1024, as Redis MEMORY USAGE does. */
export function parseBytes(text: string): number | undefined {
  const match = BYTES.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * BYTES_PER_UNIT[match[2].toLowerCase()];
}

const RATE_PER_UNIT: Record<string, number> = { s: 1, m: 1 / 60, h: 1 / 3600 };
const RATE = /^\s*(\d+(?:\.\d+)?)\s*(?:req(?:uests)?)?\s*\/\s*(s|m|h)\s*$/;

/** "100/s" or "100 req/s" → 100 per second; "600/m" → 10 per second. */
export function parseRate(text: string): number | undefined {
  const match = RATE.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * RATE_PER_UNIT[match[2]];
}

export function formatPercent(value: number): string {
  return `${Number.isInteger(value) ? value : value.toFixed(1)}%`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

export function formatRate(perSecond: number): string {
  return `${perSecond >= 100 ? Math.round(perSecond) : perSecond.toFixed(1)}/s`;
}
