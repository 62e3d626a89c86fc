/**
 * A real HTTP server on 127.0.0.1, port 0, whose routes answer with scripted delays and statuses
 * and count what they received: the ground truth the probes' figures are compared with.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface Route {
  delayMs?: number;
  /** Status per request number (0-based), or a fixed status. */
  status?: number | ((index: number) => number);
  body?: string | ((index: number) => string);
  /** Never answer (for timeouts). */
  hang?: boolean;
}

export interface ScriptedServer {
  url: string;
  port: number;
  /** Requests received per path (without query). */
  hits: Map<string, number>;
  /** Headers of the last request per path. */
  lastHeaders: Map<string, http.IncomingHttpHeaders>;
  /** Per path, how long the server really held each request (ms, from its arrival to the response's end). */
  held: Map<string, number[]>;
  /** TCP connections accepted so far (keep-alive reuse shows as few connections for many requests). */
  connections(): number;
  /** The most requests this server had in progress at once. */
  peakInFlight(): number;
  close(): Promise<void>;
}

export async function startScriptedServer(routes: Record<string, Route>): Promise<ScriptedServer> {
  const hits = new Map<string, number>();
  const lastHeaders = new Map<string, http.IncomingHttpHeaders>();
  const held = new Map<string, number[]>();
  let connections = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  const server = http.createServer((req, res) => {
    const arrived = performance.now();
    inFlight += 1;
    peakInFlight = Math.max(peakInFlight, inFlight);
    res.on('close', () => (inFlight -= 1));
    const path = (req.url ?? '/').split('?')[0];
    const index = hits.get(path) ?? 0;
    hits.set(path, index + 1);
    lastHeaders.set(path, req.headers);
    req.resume();
    const route = routes[path];
    if (!route) {
      res.statusCode = 404;
      res.end('{"error":"not found"}');
      return;
    }
    if (route.hang) return;
    const answer = () => {
      res.statusCode = typeof route.status === 'function' ? route.status(index) : (route.status ?? 200);
      res.setHeader('content-type', 'application/json');
      res.end(typeof route.body === 'function' ? route.body(index) : (route.body ?? '{"ok":true}'));
      (held.get(path) ?? held.set(path, []).get(path)!).push(performance.now() - arrived);
    };
    // Timers may fire a little early or (on a loaded machine) late: `held` records what really was.
    if (route.delayMs) setTimeout(answer, route.delayMs);
    else answer();
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    lastHeaders,
    held,
    connections: () => connections,
    peakInFlight: () => peakInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
