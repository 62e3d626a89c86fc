/**
 * The endpoint probe over https, as a user runs it: a real perfspec process (its certificate
 * authorities are read at start-up, so NODE_EXTRA_CA_CERTS needs a process of its own) against a
 * TLS server in this process that records which connection carried each request.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const fixtures = path.resolve('test/fixtures/tls');
let server: https.Server;
let url = '';
const socketsServing = new Set<Socket>();
let hits = 0;

beforeAll(async () => {
  server = https.createServer({ key: await readFile(path.join(fixtures, 'key.pem')), cert: await readFile(path.join(fixtures, 'cert.pem')) }, (req, res) => {
    if (req.url === '/tls') {
      hits += 1;
      socketsServing.add(req.socket);
    }
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('endpoint probe over https', { timeout: 60_000 }, () => {
  it('times requests on the lean client over TLS, one keep-alive connection for all of them', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'perfspec-tls-'));
    const spec = path.join(dir, 'tls.yaml');
    await writeFile(
      spec,
      `perfspec: 1\nname: tls\ntarget:\n  baseUrl: ${url}\nchecks:\n  - name: TLS check\n    request: GET /tls\n    samples: 30\n    warmup: 2\n`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/redis/cli-main.ts', 'run', spec, '--out', dir, '--reporter', 'json'], {
      env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: path.join(fixtures, 'cert.pem') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).not.toMatch(/certificate|Error/);
    expect(code).toBe(0);
    const report = JSON.parse(await readFile(path.join(dir, 'perfspec-report.json'), 'utf8'));
    const data = report.specs[0].checks[0].probes.find((probe: { kind: string }) => probe.kind === 'endpoint').data;
    expect(data.client).toBe('http1');
    expect(data.warm.count).toBe(30);
    expect(data.statuses).toEqual({ '200': 30 });
    // Cold + warm-up + samples, as the server counted them, over a single TLS connection.
    expect(hits).toBe(1 + 2 + 30);
    expect(socketsServing.size).toBe(1);
  });
});
