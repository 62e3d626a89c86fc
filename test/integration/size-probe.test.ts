/**
 * The response-size budget on real responses: the figure judged is the largest body the server
 * sent, in bytes (multi-byte characters count as their bytes), compared with the bodies the
 * scripted server really wrote.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyBytes } from '../../src/probes/size/index.js';
import { runCli } from '../helpers/run-cli.js';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server.js';

// 300 two-byte characters: 600 bytes, 300 characters.
const small = JSON.stringify({ name: 'é'.repeat(300) });
// Every response is larger than the one before: the probe must judge the largest, not the first.
const growing = (index: number) => JSON.stringify({ items: 'x'.repeat(500 + index * 500) });
const sent: string[] = [];

let server: ScriptedServer;
let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'perfspec-size-'));
  server = await startScriptedServer({
    '/small': { body: small },
    '/growing': { body: (index) => (sent.push(growing(index)), growing(index)) },
  });
});
afterAll(async () => server.close());

describe('size probe', () => {
  it('judges the largest body received in bytes against the budget', async () => {
    const spec = path.join(work, 'size.yaml');
    await writeFile(
      spec,
      `perfspec: 1
name: size
target: { baseUrl: ${server.url} }
defaults: { samples: 1, warmup: 0 }
checks:
  - name: Small
    request: GET /small
    size: { body: "< 1KB" }
  - name: Small in characters, not in bytes
    request: GET /small
    size: { body: "< 0.5KB" }
  - name: Growing
    request: GET /growing
    size: { body: "< 2KB" }
`,
    );
    const outcome = await runCli(['run', spec, '--reporter', 'json', '--out', path.join(work, 'out')]);
    expect(outcome.exitCode).toBe(1);
    const report = JSON.parse(await readFile(path.join(work, 'out', 'perfspec-report.json'), 'utf8'));
    const size = (index: number) => report.specs[0].checks[index].probes.find((probe: { kind: string }) => probe.kind === 'size');
    const smallBytes = Buffer.byteLength(small);
    expect(smallBytes).toBe(611);
    expect(size(0).data.bodyBytes).toEqual([smallBytes, smallBytes, smallBytes]);
    expect(size(0).verdicts[0]).toMatchObject({ metric: 'size.body', passed: true, actualValue: smallBytes });
    expect(size(1).verdicts[0]).toMatchObject({ passed: false, actualValue: smallBytes });
    // The growing route's bodies as the server wrote them, after the endpoint probe's own requests.
    const probeBodies = sent.slice(-3).map((body) => Buffer.byteLength(body));
    expect(size(2).data.bodyBytes).toEqual(probeBodies);
    expect(probeBodies[2]).toBeGreaterThan(probeBodies[0]);
    expect(size(2).verdicts[0]).toMatchObject({ passed: probeBodies[2] < 2048, actualValue: probeBodies[2] });
  });

  it('counts the bytes of a body without Content-Length', () => {
    expect(bodyBytes({}, 'é')).toBe(2);
    expect(bodyBytes({ 'content-length': '10' }, 'é')).toBe(10);
    expect(bodyBytes({ 'content-length': 'x' }, 'abc')).toBe(3);
  });
});
