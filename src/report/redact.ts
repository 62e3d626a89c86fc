/**
 * Secrets never reach a report or a log. One registry per run is fed from the start — secret
 * environment variables and --set values before any spec is read, literal credential headers of the
 * specs, every captured value from the moment it is captured — and its redactor is applied to every
 * output: console, stderr (messages and progress), and each report's strings before rendering.
 * Patterns catch what no registry can know: URL passwords, secret-looking query parameters and
 * credential header values written into text.
 *
 * This module is the one place that decides what is secret and how it is masked; other modules
 * (the PostgreSQL and Redis URL displays among them) call it rather than keep their own rules.
 */

export type Redactor = (text: string) => string;

const MASK = '***';

/** scheme://user:password@ — the password runs to the last "@" of the authority, so "p@ss" is caught whole. */
const URL_CREDENTIALS = /((?:\b[a-z][a-z0-9+.-]*:)?\/\/)([^/\s:@?#]*):([^/\s?#]*)@/gi;

/** Query and form parameters whose value is a credential (?password=…, &access_token=…). */
const SECRET_PARAMS =
  /([?&;])((?:password|passwd|pwd|pass|token|access_token|refresh_token|id_token|auth_token|secret|client_secret|key|api_key|apikey|api-key|auth|signature|sig|session|sessionid|session_id|jwt)=)([^&\s#"'<>]+)/gi;
/** The same for unambiguous names anywhere in text ("password=x" in a libpq string or a log line). */
const SECRET_ASSIGNMENTS = /\b((?:password|passwd|access_token|refresh_token|client_secret|api_key|apikey)=)([^&\s#"'<>]+)/gi;

/** A credential header written into text ("Authorization: Bearer x", "cookie=..."). */
const SECRET_HEADERS = /\b((?:proxy-)?authorization|cookie|set-cookie|x-api-key)(["']?\s*[:=]\s*["']?)([^"'\r\n,}]+)/gi;

/** Header names whose values are credentials, however they are written. */
export const SECRET_HEADER_NAMES = ['authorization', 'proxy-authorization', 'cookie', 'x-api-key'];

/**
 * "postgres://app:s3cret@db/x" → "postgres://app:***@db/x"; "?password=x" → "?password=***".
 * Works on any text, valid URL or not.
 */
export function redactUrl(text: string): string {
  return text
    .replace(URL_CREDENTIALS, (_whole, scheme: string, user: string) => `${scheme}${user}:${MASK}@`)
    .replace(SECRET_PARAMS, (_whole, before: string, name: string) => `${before}${name}${MASK}`)
    .replace(SECRET_ASSIGNMENTS, (_whole, name: string) => `${name}${MASK}`);
}

/** Patterns only (no known values): URL credentials, secret query parameters, credential headers. */
export function redactPatterns(text: string): string {
  return redactUrl(text).replace(SECRET_HEADERS, (_whole, name: string, separator: string, value: string) => {
    // Keep the scheme word ("Bearer", "Basic") so the message still says what kind of credential it was.
    const scheme = /^(bearer|basic|token|digest)\s+/i.exec(value)?.[0] ?? '';
    return `${name}${separator}${scheme}${MASK}`;
  });
}

/** Is a variable or header name one whose value may be secret? */
export function isSecretName(name: string): boolean {
  return /pass(word|wd)?|secret|token|api[-_]?key|authorization|cookie|credential|session|jwt|bearer|private[-_]?key|signature|(^|[-_])auth($|[-_])/i.test(
    name,
  );
}

/** Ordinary configuration words that a secret-named variable often holds (XDG_SESSION_CLASS=user). */
const ORDINARY_VALUES = new Set([
  'true',
  'false',
  'yes',
  'no',
  'on',
  'off',
  'null',
  'none',
  'user',
  'users',
  'default',
  'enabled',
  'disabled',
  'required',
  'optional',
  'localhost',
  'tty',
  'x11',
  'wayland',
]);

/**
 * Could this value be a secret? Numbers, booleans and short plain words cannot: masking them would
 * mask every "1 users" and every figure with the same digits (SESSION_TTL_MS=1234).
 */
export function hasSecretShape(value: string): boolean {
  const text = value.trim();
  if (text.length < 4) return false;
  if (/^[+-]?\d+(\.\d+)?$/.test(text)) return false;
  if (ORDINARY_VALUES.has(text.toLowerCase())) return false;
  if (/^[a-z]+$/.test(text) && text.length < 8) return false;
  return true;
}

/** A secret-named environment variable whose value has a secret's shape. */
export function isSecretEnv(name: string, value: string): boolean {
  return isSecretName(name) && hasSecretShape(value);
}

/**
 * Is a captured variable secret? By its name (token, password, auth…) or by its shape: an unbroken
 * string of 12+ characters such as a JWT, an API key or a session id. Numbers, e-mail addresses and
 * short words are not: masking them would also mask every figure and name that contains them.
 */
export function isSecretVariable(name: string, value: string): boolean {
  if (isSecretName(name)) return value.length > 0;
  if (!hasSecretShape(value)) return false;
  if (/^[\d.:-]+$/.test(value) || /^[^@\s]+@[^@\s]+\.[a-z]+$/i.test(value)) return false;
  return value.length >= 12 && /^\S+$/.test(value);
}

/** The secret part of a credential header value: after its scheme ("Bearer x" → "x"), else the whole value. */
function credentialParts(value: string): string[] {
  const after = /^(?:bearer|basic|token|digest)\s+(.+)$/i.exec(value.trim())?.[1];
  return [after ?? value];
}

/**
 * The run's secrets. Values shorter than 4 characters are never registered (too many false hits);
 * the longest are replaced first so a value containing another is masked whole.
 */
export class SecretRegistry {
  private readonly values = new Set<string>();
  private sorted: string[] | undefined;

  /** Register a value known to be secret. */
  add(value: string | undefined): void {
    if (!value || value.length < 4 || this.values.has(value)) return;
    this.values.add(value);
    this.sorted = undefined;
  }

  /** Secret-named environment variables (by value shape too). */
  addEnvironment(env: Record<string, string | undefined>): void {
    for (const [name, value] of Object.entries(env)) if (value && isSecretEnv(name, value)) this.add(value);
  }

  /** A captured or --set variable, if secret by name or shape. */
  addVariable(name: string, value: string): void {
    if (isSecretVariable(name, value)) this.add(value);
  }

  /** A header as sent: credential headers are secret whatever their value. */
  addHeader(name: string, value: string): void {
    if (SECRET_HEADER_NAMES.includes(name.toLowerCase()) || isSecretName(name))
      for (const part of credentialParts(value)) if (hasSecretShape(part)) this.add(part);
  }

  has(value: string): boolean {
    return this.values.has(value);
  }

  /** Mask every registered value, then the patterns. */
  readonly redact: Redactor = (text: string) => {
    if (typeof text !== 'string' || text.length === 0) return text;
    this.sorted ??= [...this.values].sort((a, b) => b.length - a.length);
    let result = text;
    for (const value of this.sorted) if (result.includes(value)) result = result.split(value).join(MASK);
    return redactPatterns(result);
  };
}

/** A redactor for the given secret values and the patterns (values shorter than 4 chars are ignored). */
export function createRedactor(secrets: Iterable<string>): Redactor {
  const registry = new SecretRegistry();
  for (const value of secrets) registry.add(value);
  return registry.redact;
}

/** Redact every string inside a JSON-like value, leaving its structure (and numbers) intact. */
export function redactDeep<T>(value: T, redact: Redactor): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, redact)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactDeep(item, redact)])) as T;
  }
  return value;
}
