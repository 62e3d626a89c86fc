/**
 * target.trace through the real CLI: every request perfspec sends in setup and checks carries its own
 * valid, sampled traceparent (checked by the server that received them), under a configurable header
 * name, and none at all with trace: false.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceIdOfTraceparent } from '../../src/sources/postgres/sqlcommenter.js';
import { runCli } from '../helpers/run-cli.js';

let server: http.Server;
let baseUrl = '';
let work = '';
const seen: Array<{ url: string; headers: http.IncomingHttpHeaders }> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    // perfspec's reachability ping of the base URL (GET /) is not a request of the spec: not counted.
    if (req.url !== '/') seen.push({ url: req.url ?? '', headers: req.headers });
    req.resume();
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true,"token":"t"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  work = await mkdtemp(path.join(os.tmpdir(), 'perfspec-trace-'));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(work, { recursive: true, force: true });
});

async function run(trace: string): Promise<number> {
  seen.length = 0;
  const file = path.join(work, `spec-${seen.length}-${Date.now()}.yaml`);
  await writeFile(
    file,
    `perfspec: 1\nname: traced\ntarget:\n  baseUrl: ${baseUrl}\n${trace}\nsetup:\n  - request: POST /login\n    capture: { token: $.token }\nchecks:\n  - name: Items\n    request: GET /items\n    samples: 8\n    warmup: 1\n    expect: { status: 200 }\n  - name: Per user\n    request: GET /items/\${vars.token}\n    samples: 4\n    warmup: 1\n`,
  );
  const outcome = await runCli(['run', file, '--out', path.join(work, 'out'), '--reporter', 'json']);
  return outcome.exitCode;
}

describe('traceparent on setup and check requests', () => {
  it('sends a fresh valid sampled traceparent with every request by default', async () => {
    expect(await run('')).toBe(0);
    expect(seen.length).toBeGreaterThan(10);
    const ids = seen.map((r) => traceIdOfTraceparent(String(r.headers.traceparent ?? '')));
    expect(ids.every((id) => id !== undefined)).toBe(true);
    expect(new Set(ids).size).toBe(seen.length);
    expect(seen.every((r) => String(r.headers.traceparent).endsWith('-01'))).toBe(true);
    expect(seen.some((r) => r.url === '/login')).toBe(true);
  });

  it('uses the configured header name, and sends none with trace: false', async () => {
    expect(await run('  trace: { header: x-trace }')).toBe(0);
    expect(seen.every((r) => traceIdOfTraceparent(String(r.headers['x-trace'] ?? '')) !== undefined && r.headers.traceparent === undefined)).toBe(true);
    expect(await run('  trace: false')).toBe(0);
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.some((r) => r.headers.traceparent !== undefined || r.headers['x-trace'] !== undefined)).toBe(false);
  });
});
