/**
 * The spec's one request-line grammar: `METHOD target`, used by checks, setup/teardown steps and
 * load flows alike (the schema's `request-line` format, the engine's planner and the flow compiler
 * all call parseRequestLine, so what validates is what runs).
 *
 *   line   = method 1*space target
 *   method = one of HTTP_METHODS (upper case)
 *   target = "/" path | "http://" … | "https://" … | "${" reference "}" …
 *
 * The target may hold `${…}` references, and a reference may hold spaces (`${ vars.id }`,
 * `${env.NAME:-two words}`); a space anywhere else is an error, because it would end the URL on the
 * wire. Pure: no I/O, no knowledge of which variables exist (interpolate.ts judges references).
 */

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface RequestLine {
  method: HttpMethod;
  /** The target as written: a path relative to the base URL, or an absolute http(s) URL; may hold `${…}`. */
  target: string;
  /** The origin of an absolute target ("https://api.example.com"), undefined for a relative one. */
  origin?: string;
  /** What follows the origin ("/" at least) for an absolute target; the target itself otherwise. */
  path: string;
}

export interface RequestLineProblem {
  /** What is wrong and how to write it instead; names the column. */
  message: string;
  /** 1-based column in the text as given (leading spaces counted). */
  column: number;
}

const EXAMPLE = 'write it like "GET /api/v1/users/me"';
const ABSOLUTE = /^(https?:\/\/[^/?#]+)(.*)$/i;

/** Split a request line, or say what is wrong with it and where. */
export function parseRequestLine(text: string): { line: RequestLine } | { problem: RequestLineProblem } {
  const start = text.length - text.trimStart().length;
  const trimmed = text.trim();
  const problem = (message: string, index: number) => ({ problem: { message: `${message} (column ${start + index + 1})`, column: start + index + 1 } });
  if (trimmed === '') return problem(`an empty request; ${EXAMPLE}`, 0);

  const methodEnd = trimmed.search(/\s/);
  if (methodEnd < 0) {
    return /^[A-Za-z]+$/.test(trimmed)
      ? problem(`"${trimmed}" has no URL after the method; ${EXAMPLE}`, trimmed.length)
      : problem(`no method before "${trimmed}"; ${EXAMPLE}`, 0);
  }
  const methodText = trimmed.slice(0, methodEnd);
  if (!(HTTP_METHODS as readonly string[]).includes(methodText)) {
    const upper = methodText.toUpperCase();
    const hint = (HTTP_METHODS as readonly string[]).includes(upper) ? `write it in upper case: ${upper}` : `use one of: ${HTTP_METHODS.join(', ')}`;
    if (methodText.startsWith('/') || /^https?:/i.test(methodText)) return problem(`no method before "${methodText}"; ${EXAMPLE}`, 0);
    return problem(`unknown method "${methodText}"; ${hint}`, 0);
  }

  const targetStart = trimmed.slice(methodEnd).search(/\S/) + methodEnd;
  const target = trimmed.slice(targetStart);
  const scanned = scanTarget(target);
  if (scanned) return problem(scanned.message, targetStart + scanned.index);
  if (!target.startsWith('/') && !target.startsWith('${') && !/^https?:\/\//i.test(target)) {
    return problem(`"${target}" must start with / (relative to target.baseUrl) or be an absolute http(s) URL`, targetStart);
  }
  const absolute = ABSOLUTE.exec(target);
  const line: RequestLine = { method: methodText as HttpMethod, target, path: target };
  if (absolute) {
    line.origin = absolute[1];
    line.path = absolute[2].startsWith('/') ? absolute[2] : `/${absolute[2]}`;
  }
  return { line };
}

/** The request line of a spec that passed validation; a bad line here is a bug, reported with the grammar's message. */
export function requireRequestLine(text: string): RequestLine {
  const parsed = parseRequestLine(text);
  if ('problem' in parsed) throw new Error(`${JSON.stringify(text)} is not a request line: ${parsed.problem.message}`);
  return parsed.line;
}

/** A space outside `${…}` or an unclosed `${`, with its index in the target; undefined when the target is one token. */
function scanTarget(target: string): { message: string; index: number } | undefined {
  for (let i = 0; i < target.length; i++) {
    if (target.startsWith('$${', i)) {
      i += 2; // `$${` is a literal `${`: no reference to skip.
      continue;
    }
    if (target.startsWith('${', i)) {
      const close = target.indexOf('}', i + 2);
      if (close < 0) return { message: `"\${" is never closed; end the reference with }`, index: i };
      i = close;
      continue;
    }
    if (/\s/.test(target[i])) {
      const rest = target.slice(i).trim();
      return {
        message: `unexpected "${rest}" after the URL; a request line is one method and one URL (encode a space in it as %20)`,
        index: i + target.slice(i).search(/\S/),
      };
    }
  }
  return undefined;
}
