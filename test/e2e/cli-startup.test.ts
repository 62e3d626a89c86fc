/**
 * The command line loads only what the command and the spec use: `--version` and `validate` must
 * not pay for the load engine's histograms, the HTTP client, the Redis and PostgreSQL drivers or
 * the SQL parser. Ground truth: Node's own module cache of a fresh process running the built CLI
 * (bin/perfspec.js runs dist; `npm test` builds first).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startScriptedServer } from '../helpers/scripted-server.js';

const HEAVY = ['ioredis', 'pg', 'undici', 'hdr-histogram-js', 'libpg-query', 'ejs'];

/** The npm packages a fresh process holds after running the CLI with these arguments. */
async function packagesLoadedBy(args: string[]): Promise<{ code: number; loaded: Set<string> }> {
  const script = `
    import { createRequire } from 'node:module';
    const { main } = await import(${JSON.stringify(new URL('../../dist/cli/main.js', import.meta.url).href)});
    const sink = { write() {} };
    const proc = { argv: ['node', 'perfspec', ...${JSON.stringify(args)}], env: process.env, stdout: sink, stderr: sink, cwd: () => process.cwd(), on() {}, off() {} };
    const code = await main(proc);
    const names = Object.keys(createRequire(import.meta.url).cache).filter((file) => file.includes('/node_modules/')).map((file) => file.split('/node_modules/').pop().split('/')[0]);
    process.stdout.write(JSON.stringify({ code, names }));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
  const { code, names } = JSON.parse(stdout) as { code: number; names: string[] };
  return { code, loaded: new Set(names) };
}

describe('start-up loads only what is used', () => {
  it('--version loads no probe, source or reporter library', async () => {
    const { code, loaded } = await packagesLoadedBy(['--version']);
    expect(code).toBe(0);
    expect(loaded.has('commander')).toBe(true); // the probe sees loaded packages at all
    for (const name of [...HEAVY, 'ajv', 'yaml']) expect(loaded.has(name), name).toBe(false);
  });

  it('validate of a spec with every section loads the YAML parser, none of the drivers', async () => {
    const { code, loaded } = await packagesLoadedBy(['validate', 'specs/phase3.yaml']);
    expect(code).toBe(0);
    expect(loaded.has('yaml')).toBe(true); // the spec was parsed
    for (const name of HEAVY) expect(loaded.has(name), name).toBe(false);
  });

  it('run of an endpoint-only spec loads neither undici (the probe times on the lean HTTP/1.1 client), Redis, PostgreSQL nor the SQL parser', async () => {
    const server = await startScriptedServer({ '/fast': {} });
    try {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'perfspec-startup-'));
      const spec = path.join(dir, 'fast.yaml');
      await writeFile(
        spec,
        `perfspec: 1\nname: fast\ntarget:\n  baseUrl: ${server.url}\nchecks:\n  - name: one\n    request: GET /fast\n    samples: 3\n    warmup: 0\n`,
      );
      const { code, loaded } = await packagesLoadedBy(['run', spec, '-r', 'json', '-o', dir]);
      expect(code).toBe(0);
      expect(loaded.has('hdr-histogram-js')).toBe(true); // the endpoint probe ran and recorded
      for (const name of ['undici', 'ioredis', 'pg', 'libpg-query', 'ejs']) expect(loaded.has(name), name).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('run of a load-only spec loads no undici (the load engine has its own client), Redis, PostgreSQL or SQL parser', async () => {
    const server = await startScriptedServer({ '/fast': {} });
    try {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'perfspec-startup-'));
      const spec = path.join(dir, 'load.yaml');
      await writeFile(
        spec,
        `perfspec: 1\nname: load\ntarget:\n  baseUrl: ${server.url}\nload:\n  scenarios:\n    one: { users: 1, duration: 1s }\n  flows:\n    - name: get\n      steps: ["GET /fast"]\n`,
      );
      const { code, loaded } = await packagesLoadedBy(['run', spec, '-r', 'json', '-o', dir]);
      expect(code).toBe(0);
      expect(loaded.has('hdr-histogram-js')).toBe(true); // the load engine ran and recorded
      for (const name of ['undici', 'ioredis', 'pg', 'libpg-query', 'ejs']) expect(loaded.has(name), name).toBe(false);
    } finally {
      await server.close();
    }
  });
});
