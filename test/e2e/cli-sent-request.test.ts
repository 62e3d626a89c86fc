/**
 * Every report shows the request actually sent beside a verdict that did not pass (issue 9): the URL
 * after interpolation, with a secret in its query string masked, in the console, Markdown, HTML,
 * JSON, JUnit and GitHub outputs — and again when `perfspec report` re-renders the JSON.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { reportSchemaProblems } from '../helpers/report-schema.js';

const TOKEN = 'tok-sent-9f2c7e41b5d3';
let server: http.Server;
let baseUrl: string;
/** Every request line the server received, as it received it (path and query). */
const received: string[] = [];
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'perfspec-sent-'));
  server = http.createServer((req, res) => {
    received.push(`${req.method} ${req.url}`);
    req.resume();
    if (req.url === '/login') return res.end(JSON.stringify({ access_token: TOKEN }));
    if (req.url?.startsWith('/broken')) {
      res.statusCode = 500;
      return res.end('{"error":"boom"}');
    }
    // Every product answers 404: a status budget the check cannot meet, whatever the machine's speed.
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function writeSpec(name: string, body: string): Promise<string> {
  const file = path.join(work, name);
  await writeFile(file, `perfspec: 1\nname: ${name}\ntarget:\n  baseUrl: ${baseUrl}\n${body}`);
  return file;
}

const REPORTS = ['perfspec-report.md', 'perfspec-report.html', 'perfspec-report.json', 'perfspec-junit.xml'];

describe('the request actually sent, beside a verdict that did not pass', () => {
  it('shows the resolved URL, its token masked, in every output; re-rendered reports too', async () => {
    const spec = await writeSpec(
      'sent.yaml',
      `vars: { id: 42 }
setup:
  - request: POST /login
    capture: { token: $.access_token }
checks:
  - name: Product
    request: GET /products/\${vars.id}?token=\${vars.token}&view=full
    samples: 3
    warmup: 0
  - name: Health
    request: GET /health-\${vars.id}
    expect: { status: 404 }
    samples: 3
    warmup: 0
`,
    );
    const out = path.join(work, 'out');
    const summary = path.join(work, 'summary.md');
    const outcome = await runCli(['run', spec, '--out', out, '--reporter', 'console,markdown,html,json,junit,github'], {
      env: { PATH: process.env.PATH, GITHUB_STEP_SUMMARY: summary },
    });
    expect(outcome.exitCode).toBe(1);

    // Ground truth: what the server received for the failing check, the token in clear.
    const productRequests = received.filter((line) => line.startsWith('GET /products/'));
    expect(productRequests.length).toBeGreaterThanOrEqual(3);
    expect(new Set(productRequests)).toEqual(new Set([`GET /products/42?token=${TOKEN}&view=full`]));
    const shown = `GET ${baseUrl}/products/42?token=***&view=full`;

    const outputs: Record<string, string> = { console: outcome.stdout, github: await readFile(summary, 'utf8') };
    for (const name of REPORTS) outputs[name] = await readFile(path.join(out, name), 'utf8');
    for (const [name, text] of Object.entries(outputs)) {
      expect(text, name).not.toContain(TOKEN);
      if (name === 'github') continue; // the step summary lists budgets; the annotations (stdout) carry the request
      expect(text, name).toContain(
        name === 'perfspec-report.html' ? shown.replace(/&/g, '&amp;') : name === 'perfspec-junit.xml' ? shown.replace(/&/g, '&amp;') : shown,
      );
    }
    expect(outcome.stdout).toMatch(/^::error .*sent: GET http:\/\/127\.0\.0\.1:\d+\/products\/42\?token=\*\*\*&view=full/m);
    expect(outcome.stdout).toContain(`      sent: ${shown}`);

    // Only beside a verdict that did not pass: the passing check carries no sent request.
    const json = JSON.parse(outputs['perfspec-report.json']);
    expect(reportSchemaProblems(json)).toEqual([]);
    expect(json.specs[0].checks.map((check: { name: string; sent?: string }) => [check.name, check.sent])).toEqual([
      ['Product', shown],
      ['Health', undefined],
    ]);
    expect(outputs.console).not.toContain(`sent: GET ${baseUrl}/health-42`);

    const rendered = path.join(work, 'rendered');
    const report = await runCli(['report', path.join(out, 'perfspec-report.json'), '--out', rendered, '--reporter', 'console,markdown,html,junit']);
    expect(report.exitCode).toBe(1);
    expect(report.stdout).toContain(`sent: ${shown}`);
    expect(await readFile(path.join(rendered, 'perfspec-report.md'), 'utf8')).toContain(shown);
    expect(await readFile(path.join(rendered, 'perfspec-report.html'), 'utf8')).toContain(shown.replace(/&/g, '&amp;'));
    expect(await readFile(path.join(rendered, 'perfspec-junit.xml'), 'utf8')).toContain(`sent: ${shown.replace(/&/g, '&amp;')}`);
  });

  it('a failed setup step says what it sent, secrets masked', async () => {
    const spec = await writeSpec(
      'setup-fails.yaml',
      `vars: { area: eu }
setup:
  - request: POST /login
    capture: { token: $.access_token }
  - request: POST /broken/\${vars.area}?token=\${vars.token}
checks:
  - name: Never runs
    request: GET /products/1
`,
    );
    const out = path.join(work, 'out-setup');
    const outcome = await runCli(['run', spec, '--out', out, '--reporter', 'console,markdown,html,json,junit']);
    expect(outcome.exitCode).toBe(3);
    expect(received).toContain(`POST /broken/eu?token=${TOKEN}`);
    const shown = `sent: POST ${baseUrl}/broken/eu?token=***`;
    expect(outcome.stdout).toContain(shown);
    for (const name of REPORTS) {
      const text = await readFile(path.join(out, name), 'utf8');
      expect(text, name).not.toContain(TOKEN);
      expect(text, name).toContain(shown.replace(/^sent: /, ''));
    }
  });
});
