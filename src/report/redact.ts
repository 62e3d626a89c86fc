/**
 * Secrets never reach a report or a log: credentials in URLs are masked everywhere, and known
 * secret values (captured tokens, Authorization headers, passwords from the environment) are
 * replaced wherever they appear.
 */

const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^/\s:@]*)(?::([^/\s@]*))?@/gi;

/** "postgres://app:s3cret@db/x" → "postgres://app:***@db/x". */
export function redactUrl(text: string): string {
  return text.replace(URL_CREDENTIALS, (_whole, scheme: string, user: string, password: string | undefined) =>
    password === undefined ? `${scheme}${user}@` : `${scheme}${user}:***@`,
  );
}

export type Redactor = (text: string) => string;

/** A redactor for URL credentials and the given secret values (values shorter than 4 chars are ignored: too many false hits). */
export function createRedactor(secrets: Iterable<string>): Redactor {
  const values = [...new Set([...secrets].filter((value) => value && value.length >= 4))].sort((a, b) => b.length - a.length);
  return (text: string) => {
    let result = redactUrl(text);
    for (const value of values) if (result.includes(value)) result = result.split(value).join('***');
    return result;
  };
}

/** Is a variable or header name one whose value is secret? */
export function isSecretName(name: string): boolean {
  return /pass(word)?|secret|token|api[-_]?key|authorization|cookie|credential|session/i.test(name);
}

/**
 * Is a captured variable secret? By its name (token, password, …) or by its shape: a long
 * unbroken string such as a JWT or an API key. Ids and other short or numeric values are not:
 * masking them would also mask every figure that happens to contain the same digits.
 */
export function isSecretVariable(name: string, value: string): boolean {
  if (isSecretName(name)) return true;
  return value.length >= 20 && /^\S+$/.test(value) && !/^[\d.]+$/.test(value);
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
