/**
 * Messages for people (issue #10): what is knowable before running is exit 2 at validate time (or
 * before the run starts), with a message naming the field and the fix; no internal code shown.
 * Ground truth for "before anything runs": a scripted server's request count stays 0.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server.js';

let server: ScriptedServer;
let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'perfspec-messages-'));
  server = await startScriptedServer({ '/ok': {} });
});
afterAll(async () => server.close());

async function spec(name: string, body: string): Promise<string> {
  const file = path.join(work, `${name}.yaml`);
  await writeFile(file, `perfspec: 1\nname: ${name}\ntarget:\n  baseUrl: ${server.url}\n${body}`);
  return file;
}
const requests = () => [...server.hits.values()].reduce((sum, n) => sum + n, 0);
const LOAD = 'load:\n  default: quick\n  scenarios:\n    quick: { users: 1, duration: 1s }\n  flows:\n    - name: f\n      steps: [GET /ok]\n';

describe('known before running: exit 2 at validate time', () => {
  it.each([
    [
      'a mysql:// service URL',
      'services:\n  postgres:\n    url: mysql://root@127.0.0.1:3306/app\n',
      /services\.postgres\.url: "mysql:\/\/root@127\.0\.0\.1:3306\/app" is not a PostgreSQL URL/,
    ],
    ['an http:// Redis URL', 'services:\n  redis:\n    url: http://127.0.0.1:6379\n', /services\.redis\.url: .* is not a Redis URL/],
    [
      'a cache check without services.redis',
      'checks:\n  - name: c\n    request: GET /ok\n    cache: { keys: "x:*", hitRate: ">= 90%" }\n',
      /checks\[0\]\.cache: a cache budget needs services\.redis/,
    ],
    [
      'a queries budget without services.postgres',
      'checks:\n  - name: q\n    request: GET /ok\n    queries: { max: 5 }\n',
      /checks\[0\]\.queries: a queries budget needs services\.postgres/,
    ],
    ['load.default naming a missing scenario', LOAD.replace('default: quick', 'default: nope'), /load\.default: no load scenario named "nope"/],
    [
      'a missing target.start.cwd',
      '  start:\n    command: node -e 0\n    cwd: no/such/dir\n',
      /target\.start\.cwd: the directory .*no\/such\/dir does not exist/,
    ],
    ['credentials in baseUrl', '', /target\.baseUrl: "http:\/\/user:\*\*\*@127\.0\.0\.1:\d+" holds credentials, which perfspec would not send/],
  ])('%s', async (label, body, message) => {
    let file = await spec(label.replace(/\W+/g, '-'), body);
    if (label === 'credentials in baseUrl') {
      file = path.join(work, 'creds.yaml');
      await writeFile(file, `perfspec: 1\nname: creds\ntarget:\n  baseUrl: ${server.url.replace('http://', 'http://user:pa55word@')}\n`);
    }
    const validate = await runCli(['validate', file]);
    expect(validate.exitCode).toBe(2);
    expect(validate.stderr).toMatch(message);
    expect(validate.stderr).not.toMatch(/PS_[A-Z_]+|internal error|undefined/);
    const before = requests();
    const run = await runCli(['run', file, '-o', path.join(work, 'out')]);
    expect(run.exitCode).toBe(2);
    expect(requests()).toBe(before);
  });

  it('--profile nope: exit 2 before anything runs, naming the known scenarios', async () => {
    const file = await spec('profile', `setup:\n  - request: GET /ok\n${LOAD}`);
    const before = requests();
    const outcome = await runCli(['run', file, '--profile', 'nope', '-o', path.join(work, 'out-profile')]);
    expect(outcome.exitCode).toBe(2);
    expect(outcome.stderr).toContain('--profile nope: no load scenario named "nope"');
    expect(requests()).toBe(before);
  });
});
