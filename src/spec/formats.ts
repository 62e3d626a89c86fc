/**
 * The string formats of the spec language. ajv calls these validators (so the schema stays the one
 * source of truth) and the messages below explain a failure with an example that would work.
 */
import { parseBudget, parseTolerance } from '../units/budget.js';
import { durationRangeProblem, parseDuration } from '../units/duration.js';
import { parseJsonPath } from './json-path.js';
import { MAX_BODY_SIZE, MIN_BODY_SIZE, parseBytes } from '../units/quantity.js';
import { isSafeHeaderName, isSafeHeaderValue } from '../sources/http/header-safety.js';
import { redactUrl } from '../report/redact.js';
import { parseRequestLine } from './request-line.js';

export interface FormatDefinition {
  validate: (text: string) => boolean;
  /** Why the text failed, with an example that works. */
  explain: (text: string) => string;
}

export const FORMATS: Record<string, FormatDefinition> = {
  duration: {
    validate: (text) => {
      const ms = parseDuration(text);
      return ms !== undefined && durationRangeProblem(ms) === undefined;
    },
    explain: (text) => explainDuration(text, false),
  },
  timeout: {
    validate: (text) => {
      const ms = parseDuration(text);
      return ms !== undefined && durationRangeProblem(ms, true) === undefined;
    },
    explain: (text) => explainDuration(text, true),
  },
  'duration-budget': {
    validate: (text) => parseBudget(text, 'duration') !== undefined,
    explain: (text) => `${JSON.stringify(text)} is not a latency budget; write it like "< 50ms" or "<= 1.5s"`,
  },
  'percent-budget': {
    validate: (text) => parseBudget(text, 'percent') !== undefined,
    explain: (text) => `${JSON.stringify(text)} is not a percentage budget; write it like ">= 95%"`,
  },
  'count-budget': {
    validate: (text) => parseBudget(text, 'count') !== undefined,
    explain: (text) => `${JSON.stringify(text)} is not a count budget; write it like "<= 5" or just 5`,
  },
  'rate-budget': {
    validate: (text) => parseBudget(text, 'rate') !== undefined,
    explain: (text) => `${JSON.stringify(text)} is not a throughput budget; write it like ">= 100/s"`,
  },
  'bytes-budget': {
    validate: (text) => parseBudget(text, 'bytes') !== undefined,
    explain: (text) => `${JSON.stringify(text)} is not a size budget; write it like "< 10MB"`,
  },
  'body-size': {
    validate: (text) => {
      const bytes = parseBytes(text);
      return bytes !== undefined && bytes >= MIN_BODY_SIZE && bytes <= MAX_BODY_SIZE;
    },
    explain: (text) =>
      parseBytes(text) === undefined
        ? `${JSON.stringify(text)} is not a size; write it like "10MB" or "512KB" (powers of 1024)`
        : `${JSON.stringify(text)} is outside 1KB – 1GB: a smaller cap would cut ordinary JSON bodies, a larger one would let one response take gigabytes of memory`,
  },
  'tolerance-duration': {
    validate: (text) => parseTolerance(text) !== undefined,
    explain: (text) => `${JSON.stringify(text)} is not a duration with tolerance; write it like "15m ±5%" or "10m ± 30s"`,
  },
  'request-line': {
    validate: (text) => 'line' in parseRequestLine(text),
    explain: (text) => {
      const parsed = parseRequestLine(text);
      return `${JSON.stringify(text)} is not a request: ${'problem' in parsed ? parsed.problem.message : 'unknown problem'}`;
    },
  },
  'http-url': {
    validate: (text) => {
      const url = parseUrl(text);
      // Credentials in the URL are not sent by HTTP clients (fetch refuses them): say so instead of dropping them.
      return (url?.protocol === 'http:' || url?.protocol === 'https:') && !url.username && !url.password;
    },
    explain: (text) => {
      const url = parseUrl(text);
      if (url && (url.username || url.password)) {
        return `${redactUrl(JSON.stringify(text))} holds credentials, which perfspec would not send; remove them and send them as a header instead, e.g. target.headers: { Authorization: "Basic \${env.API_BASIC}" }`;
      }
      return `${redactUrl(JSON.stringify(text))} is not an http(s) URL; write it like "http://127.0.0.1:8000"`;
    },
  },
  'postgres-url': {
    validate: (text) => ['postgres:', 'postgresql:'].includes(parseUrl(text)?.protocol ?? ''),
    explain: (text) =>
      `${redactUrl(JSON.stringify(text))} is not a PostgreSQL URL; write it like "postgres://user:password@127.0.0.1:5432/app" (perfspec measures PostgreSQL only)`,
  },
  'redis-url': {
    validate: (text) => ['redis:', 'rediss:'].includes(parseUrl(text)?.protocol ?? ''),
    explain: (text) => `${redactUrl(JSON.stringify(text))} is not a Redis URL; write it like "redis://127.0.0.1:6379/0" (rediss:// for TLS)`,
  },
  'header-name': {
    validate: isSafeHeaderName,
    explain: (text) => `${JSON.stringify(text)} is not a header name; use letters, digits and - (e.g. "X-Request-Id"), no spaces, CR, LF or NUL`,
  },
  'header-value': {
    validate: isSafeHeaderValue,
    explain: () => 'a header value must not hold CR, LF or NUL: sent raw they would start another header or request; remove the line break',
  },
  'json-path': {
    validate: (text) => parseJsonPath(text) !== undefined,
    explain: (text) => `${JSON.stringify(text)} is not a supported JSONPath; write it like "$.access_token" or "$.items[0].id"`,
  },
};

function explainDuration(text: string, positive: boolean): string {
  const ms = parseDuration(text);
  const shown = text.length > 40 ? `${JSON.stringify(text.slice(0, 40))}…` : JSON.stringify(text);
  const problem = ms === undefined ? undefined : durationRangeProblem(ms, positive);
  if (problem) return `${shown} ${problem}; write it like "5s" or "15m"`;
  return `${shown} is not a duration; write it like "250ms", "1.5s" or "15m"`;
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
