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
