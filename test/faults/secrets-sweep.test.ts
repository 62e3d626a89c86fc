/**
 * Secrets sweep (issue #10): every kind of secret is planted — a token captured in setup and echoed
 * by a later failing step (past the 300-character excerpt cut), a 16-character token captured under
 * a harmless name, literal Authorization / X-Api-Key / Cookie headers, URL passwords (with "@" in
 * them), secret query parameters, a secret env value quoted in a validation message, --base-url
 * credentials — and every output is grepped: console, stderr, md, html, json, junit. 0 hits, while
 * ordinary words and numbers that share a name with secret-looking env vars stay intact.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

const SECRETS = {
  captured: 'eyJhbGciOiJIUzI1NiJ9.CAPTURED-token-zq81.sig',
  auth16: 'Qm7xV2pL9sK4tR8w',
  bearer: 'LITERAL-bearer-9f3k2m',
  apiKey: 'apikey-literal-77xq',
  cookie: 'sid=cookie-literal-55kq',
  queryPassword: 'QueryPw-4471z',
  urlPassword: 'p@ssW0rd-in-url',
  serviceToken: 'SvcT0ken-93kd0s',
  ftpPassword: 'FtpPa55-word',
  envPassword: 'EnvPassw0rd-k29',
};

let server: http.Server;
let url: string;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'perfspec-secrets-'));
  server = http.createServer((req, res) => {
    req.resume();
    const route = (req.url ?? '/').split('?')[0];
    res.setHeader('content-type', 'application/json');
    if (route === '/login') return res.end(JSON.stringify({ access_token: SECRETS.captured, auth: SECRETS.auth16 }));
    if (route === '/fail-echo') {
      // The token sits across the 300-character cut of the failure excerpt.
      res.statusCode = 500;
      return res.end(`${'x'.repeat(280)} token=${SECRETS.captured} auth ${SECRETS.auth16} url ${req.url}`);
    }
    if (route === '/echo-headers') {
      res.statusCode = 500;
      return res.end(
        JSON.stringify({
          headers: req.headers,
          db: `postgres://app:${SECRETS.urlPassword}@db.internal/app`,
          link: `http://h/x?user=a&password=${SECRETS.queryPassword}`,
        }),
      );
    }
    res.end('{"ok":true}');
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

const ENV = {
  PATH: process.env.PATH,
  SERVICE_TOKEN: SECRETS.serviceToken,
  QA_PASSWORD: SECRETS.envPassword,
  // Secret-looking names with ordinary values: they must mask nothing.
  XDG_SESSION_CLASS: 'user',
  SESSION_TTL_MS: '1234',
};

describe('secrets sweep', () => {
  it('no planted secret in any output (console, stderr, md, html, json, junit); ordinary words and numbers intact', async () => {
    const specs = path.join(work, 'specs');
    await mkdir(specs, { recursive: true });
    await writeFile(
      path.join(specs, 'a-setup-echo.yaml'),
      `perfspec: 1\nname: Setup echo\ntarget:\n  baseUrl: ${url}\nsetup:\n  - name: Log in\n    request: POST /login\n    json: { password: "\${env.QA_PASSWORD}" }\n    capture: { token: $.access_token, auth: $.auth }\n  - name: Echo\n    request: GET /fail-echo?t=\${vars.token}&a=\${vars.auth}\nchecks:\n  - name: Never\n    request: GET /ok\n`,
    );
    await writeFile(
      path.join(specs, 'b-teardown-echo.yaml'),
      `perfspec: 1\nname: Teardown echo\ntarget:\n  baseUrl: ${url}\n  headers: { X-Api-Key: "${SECRETS.apiKey}", Cookie: "${SECRETS.cookie}" }\ndefaults:\n  headers: { Authorization: "Bearer ${SECRETS.bearer}" }\n` +
        `checks:\n  - name: Load 1234 users\n    request: GET /ok\n    samples: 3\n    warmup: 0\n    latency: { p95: "< 5s" }\nteardown:\n  - name: Clean up\n    request: GET /echo-headers\n`,
    );
    const out = path.join(work, 'out');
    const run = await runCli(['run', specs, '-o', out], { env: ENV });
    expect(run.exitCode).toBe(3); // the failing setup and teardown are errors

    const validateSpec = path.join(work, 'bad-timeout.yaml');
    await writeFile(validateSpec, `perfspec: 1\nname: v\ntarget:\n  baseUrl: ${url}\n  timeout: "\${env.SERVICE_TOKEN}"\n`);
    const validate = await runCli(['validate', validateSpec], { env: ENV });
    expect(validate.exitCode).toBe(2);
    expect(validate.stderr).toContain('target.timeout');

    const ftp = await runCli(['run', path.join(specs, 'b-teardown-echo.yaml'), '--base-url', `ftp://user:${SECRETS.ftpPassword}@files.example.test/`], {
      env: ENV,
    });
    expect(ftp.exitCode).toBe(2);
    const pgUrl = path.join(work, 'pg-url.yaml');
    await writeFile(
      pgUrl,
      `perfspec: 1\nname: pg\ntarget:\n  baseUrl: ${url}\nservices:\n  postgres:\n    url: "postgres://app:${SECRETS.urlPassword}@127.0.0.1:1/app?password=${SECRETS.queryPassword}"\n`,
    );
    const pg = await runCli(['run', pgUrl, '-o', path.join(work, 'out-pg')], { env: ENV });
    expect(pg.exitCode).toBe(3);

    const outputs: Record<string, string> = {
      console: run.stdout,
      stderr: run.stderr + validate.stderr + ftp.stderr + pg.stderr + pg.stdout,
      md: await readFile(path.join(out, 'perfspec-report.md'), 'utf8'),
      html: await readFile(path.join(out, 'perfspec-report.html'), 'utf8'),
      json: await readFile(path.join(out, 'perfspec-report.json'), 'utf8'),
      junit: await readFile(path.join(out, 'perfspec-junit.xml'), 'utf8'),
    };
    // The planted echoes did reach the outputs (masked): the sweep looks where the secrets would be.
    expect(outputs.json).toContain('fail-echo');
    expect(outputs.json).toContain('x-api-key');
    const hits: string[] = [];
    for (const [output, text] of Object.entries(outputs)) {
      for (const [kind, secret] of Object.entries(SECRETS)) {
        // Any 8-character piece of a secret counts: a cut or escaped token must not survive either.
        const pieces = new Set([secret, secret.slice(0, 12), secret.slice(-10), JSON.stringify(secret).slice(1, -1)]);
        for (const piece of pieces) if (text.includes(piece)) hits.push(`${kind} in ${output}: ${piece}`);
      }
    }
    expect(hits).toEqual([]);
    // Ordinary words and numbers stay: "1234 users" is not masked by SESSION_TTL_MS=1234 or XDG_SESSION_CLASS=user.
    for (const output of ['console', 'md', 'html', 'json', 'junit']) expect(outputs[output], output).toContain('Load 1234 users');
    expect(outputs.console).not.toContain('***s');
  });
});
