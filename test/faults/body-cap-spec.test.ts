/**
 * maxBodySize as a spec field (issue #10: "a 1 GiB response body takes the endpoint probe to 2.2
 * GB"; "bodies read to a cap (`maxBodySize`) and counted beyond it"). The lean HTTP/1.1 client
 * (endpoint probe and load generator) keeps at most the cap of a wanted body whatever its framing,
 * reads the rest (the connection stays usable) and counts it; the endpoint probe and load reports
 * show the count, and the spec bounds the value. Ground truth: the bytes the server wrote, and the
 * bytes the client handed back (what it buffered).
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRequest, Http1Client } from '../../src/load/http/http1-client.js';
import { runCli } from '../helpers/run-cli.js';

const BIG = 16 * 1024 * 1024;
const CAP = 64 * 1024;
let server: http.Server;
let origin: string;
let bigBodiesSent = 0;
let work = '';

/** A JSON body of `size` bytes: {"pad":"aaaa…"}. */
function writeJsonBody(res: http.ServerResponse, size: number, framing: 'length' | 'chunked' | 'close'): void {
  if (framing === 'length') res.setHeader('content-length', size);
  if (framing === 'close') res.setHeader('connection', 'close');
  const head = Buffer.from('{"pad":"');
  const tail = Buffer.from('"}');
  const chunk = Buffer.alloc(1024 * 1024, 0x61);
  res.write(head);
  let left = size - head.length - tail.length;
  while (left > 0) {
    const part = Math.min(left, chunk.length);
    res.write(part === chunk.length ? chunk : chunk.subarray(0, part));
    left -= part;
  }
  res.end(tail);
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'perfspec-faults-bodycap-'));
  server = http.createServer((req, res) => {
    req.resume();
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/small') return res.end('{"ok":true}');
    bigBodiesSent++;
    const framing = (url.searchParams.get('framing') ?? 'length') as 'length' | 'chunked' | 'close';
    if (framing === 'close') {
      // HTTP/1.0-style framing: no length, the body ends when the connection closes.
      res.useChunkedEncodingByDefault = false;
      res.shouldKeepAlive = false;
    }
    writeJsonBody(res, BIG, framing);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

const get = (target: string) => ({ bytes: encodeRequest('GET', target, new URL(origin).host, [], undefined), head: false, timeoutMs: 20_000 });

describe('the lean client keeps at most maxBodySize of a wanted body', () => {
  it.each(['length', 'chunked', 'close'])('framing %s: 16 MiB sent → the cap kept, every byte counted, the connection still usable', async (framing) => {
    const client = new Http1Client(1, { maxBodySize: CAP });
    try {
      const outcome = await client.send(origin, get(`/big?framing=${framing}`), true);
      expect(outcome.status).toBe(200);
      // What the client buffered and handed back: the cap, not the body.
      expect(Buffer.byteLength(outcome.body ?? '')).toBe(CAP);
      expect(outcome.body?.startsWith('{"pad":"aaa')).toBe(true);
      expect(outcome.bodyOverCap).toBe(BIG);
      expect(client.bodiesOverCap).toBe(1);
      const next = await client.send(origin, get('/small'), true);
      expect(next).toMatchObject({ status: 200, body: '{"ok":true}' });
      expect(next.bodyOverCap).toBeUndefined();
      expect(client.bodiesOverCap).toBe(1);
    } finally {
      client.destroy();
    }
  });

  it('a body not wanted is not buffered at all, and still counted', async () => {
    const client = new Http1Client(1, { maxBodySize: CAP });
    try {
      const outcome = await client.send(origin, get('/big'), false);
      expect(outcome.body).toBeUndefined();
      expect(outcome.bodyOverCap).toBe(BIG);
    } finally {
      client.destroy();
    }
  });
});

describe('maxBodySize in the spec', () => {
  async function run(name: string, yaml: string, reporters = 'console,json') {
    const spec = path.join(work, `${name}.yaml`);
    await writeFile(spec, yaml);
    const out = path.join(work, name);
    const outcome = await runCli(['run', spec, '-o', out, '--reporter', reporters]);
    return { outcome, read: async () => JSON.parse(await readFile(path.join(out, 'perfspec-report.json'), 'utf8')) };
  }

  it("endpoint probe: target.maxBodySize is the check's default; every big response is counted and shown in the notes", async () => {
    const before = bigBodiesSent;
    const { outcome, read } = await run(
      'endpoint',
      `perfspec: 1\nname: big bodies\ntarget:\n  baseUrl: ${origin}\n  maxBodySize: 64KB\nchecks:\n  - name: Big\n    request: GET /big\n    samples: 5\n    warmup: 1\n    latency: { p95: "< 30s" }\n`,
    );
    expect(outcome.exitCode, outcome.stdout + outcome.stderr).toBe(0);
    const probe = (await read()).specs[0].checks[0].probes[0];
    expect(probe.data.maxBodySize).toBe(CAP);
    // Every big body the server sent for the check was counted (cold + warm-up + samples).
    expect(probe.data.bodiesOverMaxBodySize).toBe(bigBodiesSent - before);
    expect(probe.data.bodiesOverMaxBodySize).toBeGreaterThanOrEqual(7);
    expect(probe.notes.join('\n')).toContain('Body over maxBodySize');
  });

  it("load: a scenario's maxBodySize; the count of bodies over it equals the responses that completed, shown in the table", async () => {
    const { outcome, read } = await run(
      'load',
      `perfspec: 1\nname: big load\ntarget:\n  baseUrl: ${origin}\nload:\n  users: 2\n  duration: 1s\n  maxBodySize: 64KB\n  flows: [{ name: f, steps: [{ request: GET /big, capture: { pad: $.pad } }] }]\n`,
    );
    expect(outcome.exitCode, outcome.stdout + outcome.stderr).not.toBe(3);
    const probe = (await read()).specs[0].checks[0].probes[0];
    const completed = probe.data.overall.statusCodes['200'] ?? 0;
    expect(completed).toBeGreaterThan(0);
    expect(probe.data.bodiesOverMaxBodySize).toBe(completed);
    const outcomes = probe.tables.find((t: { title: string }) => t.title === 'Statuses and errors');
    expect(outcomes.rows).toContainEqual(['body over maxBodySize (read and timed, not kept whole)', String(completed)]);
  });

  it.each([
    ['"2GB"', 'is outside 1KB – 1GB'],
    ['"10 parsecs"', 'is not a size'],
    ['12', 'must be at least 1024 (got 12)'],
  ])('maxBodySize: %s is a spec error (exit 2) naming the field', async (value, message) => {
    const { outcome } = await run(
      'bad',
      `perfspec: 1\nname: bad\ntarget:\n  baseUrl: ${origin}\n  maxBodySize: ${value}\nchecks:\n  - name: C\n    request: GET /small\n`,
    );
    expect(outcome.exitCode).toBe(2);
    expect(outcome.stderr).toContain('target.maxBodySize');
    expect(outcome.stderr).toContain(message);
  });
});
