/**
 * The few HTTP helpers node:http lacks: JSON bodies in and out, and an error type that carries a status.
 */

/** An error a handler throws on purpose; anything else becomes a 500. */
export class HttpError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Bodies larger than this are refused: the API only takes small JSON documents. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * @param {import('node:http').IncomingMessage} req
 * @returns {Promise<unknown>} the parsed JSON body
 */
export async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) throw new HttpError(400, 'a JSON body is required');
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'the body is not valid JSON');
  }
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {unknown} body
 * @param {Record<string, string>} [headers]
 */
export function sendJson(res, status, body, headers = {}) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(payload);
}

/**
 * Parses a positive integer path or query parameter (ids fit PostgreSQL's `integer`).
 * @param {string | null | undefined} raw
 * @param {string} name
 */
export function positiveInt(raw, name) {
  const n = Number(raw);
  if (!/^\d+$/.test(String(raw)) || !Number.isSafeInteger(n) || n < 1 || n > 2_147_483_647) {
    throw new HttpError(400, `${name} must be a positive integer`);
  }
  return n;
}

/**
 * `?limit=` for the audit log endpoints: default 50, capped at 500 (larger values are clamped, like
 * most list APIs do), anything that is not a positive integer is a 400.
 * @param {URLSearchParams} query
 */
export function limitParam(query) {
  const raw = query.get('limit');
  if (raw === null || raw === '') return 50;
  return Math.min(positiveInt(raw, 'limit'), 500);
}
