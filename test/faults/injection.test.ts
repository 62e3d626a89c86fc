/**
 * Nothing on the wire but what the spec says (issue #10): CR/LF/NUL in a header name or value is a
 * spec error at validate time when written literally (checks, setup, load flows), and an error of
 * that request — never sent — when it appears only after interpolation (a captured value). Ground
 * truth: a node:http server records every request it parsed; an injected header or a smuggled
 * request would show up there as its own header or request.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRequest } from '../../src/load/http/http1-client.js';
import { UnsafeRequestError } from '../../src/sources/http/header-safety.js';
import { runCli } from '../helpers/run-cli.js';

let server: http.Server;
let url: string;
let work: string;
const seen: Array<{ url: string; headers: http.IncomingHttpHeaders }> = [];
const EVIL_HEADER = 'a\r\nX-Injected: 1';
const EVIL_PATH = 'x HTTP/1.1\r\nHost: h\r\n\r\nGET /smuggled';

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'perfspec-injection-'));
  server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    req.resume();
    res.setHeader('content-type', 'application/json');
    res.end(req.url === '/login' ? JSON.stringify({ evil: EVIL_HEADER, evilPath: EVIL_PATH }) : '{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

const head = (body: string) => `perfspec: 1\nname: inj\ntarget:\n  baseUrl: ${url}\n${body}`;
const injected = () => seen.filter((request) => request.headers['x-injected'] !== undefined || request.url.includes('smuggled'));

describe('literal CR/LF/NUL in headers: spec error at validate time (exit 2)', () => {
  it.each([
    ['a check header value', 'checks:\n  - name: c\n    request: GET /\n    headers: { X-A: "a\\r\\nX-Injected: 1" }\n', 'checks[0].headers.X-A'],
    ['a target header value with NUL', '  headers: { X-A: "a\\u0000b" }\n', 'target.headers.X-A'],
    ['a setup step header', 'setup:\n  - request: GET /\n    headers: { X-A: "a\\nb" }\n', 'setup[0].headers.X-A'],
    [
      'a load step header',
      'load:\n  users: 1\n  duration: 1s\n  flows:\n    - name: f\n      steps:\n        - request: GET /\n          headers: { X-A: "a\\rb" }\n',
      'load.flows[0].steps[0].headers.X-A',
    ],
    ['a header name with a space', 'checks:\n  - name: c\n    request: GET /\n    headers: { "X A": "1" }\n', 'checks[0].headers'],
  ])('%s', async (_label, body, where) => {
    const file = path.join(work, `literal-${where.replace(/\W/g, '')}.yaml`);
    await writeFile(file, head(body));
    const outcome = await runCli(['validate', file]);
    expect(outcome.exitCode).toBe(2);
    expect(outcome.stderr).toContain(`${where}`);
    expect(outcome.stderr).toMatch(/must not hold CR, LF or NUL|is not a header name/);
  });
});

describe('CR/LF only after interpolation: an error of that request, nothing on the wire', () => {
  it('checks and load flows using a captured value with CR/LF send nothing injected, and say why', async () => {
    const file = path.join(work, 'interpolated.yaml');
    await writeFile(
      file,
      head(
        'setup:\n  - request: GET /login\n    capture: { evil: $.evil, evilPath: $.evilPath }\n' +
          'checks:\n  - name: Header check\n    request: GET /ok\n    samples: 3\n    warmup: 0\n    headers: { X-Token: "${vars.evil}" }\n' +
          'load:\n  users: 2\n  duration: 1s\n  flows:\n    - name: Evil\n      steps:\n        - request: GET /ok\n          headers: { X-Token: "${vars.evil}" }\n        - request: GET /${vars.evilPath}\n',
      ),
    );
    seen.length = 0;
    const out = path.join(work, 'out-interpolated');
    const outcome = await runCli(['run', file, '-o', out, '-r', 'console,json']);
    expect(injected()).toEqual([]);
    // Only the login request reached the server: every unsafe request was stopped before the wire.
    // Nothing else either: perfspec's reachability checks open a TCP connection and send no request.
    expect(seen.map((request) => request.url)).toEqual(['/login']);
    expect(outcome.stdout).toContain('unsafe_request');
    const json = await readFile(path.join(out, 'perfspec-report.json'), 'utf8');
    expect(json).toContain('unsafe_request');
    expect(outcome.stdout).not.toMatch(/\d+× other/);
    expect([1, 3]).toContain(outcome.exitCode);
  });

  it('a setup step whose header becomes unsafe fails that step with a clear message (exit 3)', async () => {
    const file = path.join(work, 'setup-unsafe.yaml');
    await writeFile(
      file,
      head(
        'setup:\n  - request: GET /login\n    capture: { evil: $.evil }\n  - name: Use it\n    request: GET /ok\n    headers: { X-Token: "${vars.evil}" }\n',
      ),
    );
    seen.length = 0;
    const outcome = await runCli(['run', file, '-o', path.join(work, 'out-setup'), '-r', 'console']);
    expect(outcome.exitCode).toBe(3);
    expect(outcome.stdout + outcome.stderr).toContain('header x-token holds a line break (CR/LF) or NUL after interpolation; the request was not sent');
    // Nothing else either: perfspec's reachability checks open a TCP connection and send no request.
    expect(seen.map((request) => request.url)).toEqual(['/login']);
  });

  it("the load client's encoder refuses CR/LF/NUL in the method, path, header names and values", () => {
    expect(() => encodeRequest('GET', '/', 'h', ['x-a', EVIL_HEADER], undefined)).toThrow(UnsafeRequestError);
    expect(() => encodeRequest('GET', `/${EVIL_PATH}`, 'h', [], undefined)).toThrow(UnsafeRequestError);
    expect(() => encodeRequest('GET', '/', 'h', ['x\r\na', '1'], undefined)).toThrow(UnsafeRequestError);
    expect(() => encodeRequest('GET\r\n', '/', 'h', [], undefined)).toThrow(UnsafeRequestError);
    expect(() => encodeRequest('GET', '/', 'h', ['x-a', 'ok'], undefined)).not.toThrow();
  });
});
