/**
 * The `size` check probe: a budget on the response body a request gets back, e.g.
 * `size: { body: "< 100KB" }` (powers of 1024, like every size in the spec). It sends the check's
 * request a few times and judges the largest body received, because a response may differ
 * between calls (pagination cursors, timestamps). The size is the bytes the server sent for the
 * body: its Content-Length when it gave one, else the body's UTF-8 length as read.
 */
import { parseBudget, type Budget } from '../../units/budget.js';
import { formatBytes } from '../../units/quantity.js';
import { judgeBudget } from '../../verdict/judge.js';
import type { SizeBudget } from '../../generated/spec-types.js';
import { placeOf, type CheckProbe, type SectionPlace } from '../types.js';

/** Responses measured per check: enough to catch a body that varies, few enough to stay quick. */
const REQUESTS = 3;

interface SizeConfig {
  body?: Budget;
  level: 'error' | 'warn';
}

/** A check's `size` section, as the schema types it, → the probe's config and what is wrong with it. */
function readSizeConfig(raw: Partial<SizeBudget>, at: SectionPlace): { config: SizeConfig; problems: string[] } {
  const problems: string[] = [];
  const body = raw.body === undefined ? undefined : parseBudget(raw.body, 'bytes');
  if (raw.body !== undefined && !body) problems.push(`checks[${at.index}].size.body: "${raw.body}" is not a size budget; write it like "< 100KB"`);
  if (raw.body === undefined) problems.push(`checks[${at.index}].size: give a budget, e.g. body: "< 100KB"`);
  return { config: { body, level: at.level ?? 'error' }, problems };
}

/** Bytes of a body as sent: Content-Length when present and a number, else the text's UTF-8 length. */
export function bodyBytes(headers: Record<string, string | string[] | undefined>, body: string): number {
  const declared = headers['content-length'];
  const length = Number(Array.isArray(declared) ? declared[0] : declared);
  return declared !== undefined && Number.isInteger(length) && length >= 0 ? length : Buffer.byteLength(body, 'utf8');
}

/** The body sizes received, in bytes, one per request sent. */
interface SizeMeasurement {
  sizes: number[];
}

export const sizeProbe: CheckProbe<SizeConfig, SizeMeasurement> = {
  kind: 'size',
  key: 'size',
  parse: (check) => readSizeConfig(check.raw.size ?? {}, placeOf(check)).config,
  validate: (check) => readSizeConfig(check.raw.size ?? {}, placeOf(check)).problems,
  async measure(check, _config, ctx) {
    const sizes: number[] = [];
    for (let i = 0; i < REQUESTS && !ctx.signal.aborted; i += 1) {
      const response = await ctx.http.send(ctx.buildRequest(check.request), { timeoutMs: check.timeoutMs, signal: ctx.signal });
      sizes.push(bodyBytes(response.headers, response.body));
    }
    return { sizes };
  },
  judge(check, config, { sizes }) {
    const largest = sizes.length ? Math.max(...sizes) : null;
    return config.body ? [judgeBudget({ check: check.name, probe: 'size', metric: 'size.body', level: config.level }, config.body, largest)] : [];
  },
  present: (_check, _config, { sizes }) => ({
    tables: [],
    notes:
      sizes.length > 1 && new Set(sizes).size > 1 ? [`Body sizes differed between requests: ${sizes.map(formatBytes).join(', ')}; the largest is judged.`] : [],
    data: { bodyBytes: sizes },
  }),
};
