/**
 * Protocol errors are shown and never pass silently (issue #10: "The load client accepts a response
 * sent before any request (1,490 "200"s, PASS) and `Content-Length: -5`"). A load run against a raw
 * TCP server that breaks HTTP/1.1 exits 1 with the `load.protocol_errors` budget failed, and every
 * report (console, md, html, json) shows the faults by kind. Ground truth: the server's own count
 * of the broken answers it wrote.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

const OK = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';
let server: Server | undefined;
let work = '';
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'perfspec-faults-protocol-'));
});
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

interface Behaviour {
  /** Written when a connection opens, before any request. */
  greet?: (socket: Socket) => void;
  /** Written for each request head. */
  answer?: (socket: Socket) => void;
}

/** A raw server; `written` counts the greetings and answers it wrote. */
async function start(behaviour: Behaviour): Promise<{ origin: string; written: { greetings: number; answers: number } }> {
  const written = { greetings: 0, answers: 0 };
  server = createServer((socket) => {
    socket.on('error', () => undefined);
    if (behaviour.greet) {
      written.greetings++;
      behaviour.greet(socket);
    }
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      while (pending.includes('\r\n\r\n')) {
        pending = pending.slice(pending.indexOf('\r\n\r\n') + 4);
        if (behaviour.answer && !socket.destroyed) {
          written.answers++;
          behaviour.answer(socket);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server!.address() as { port: number }).port}`, written };
}

/** An open-model run: connections are opened ahead of the schedule, idle until their first request. */
const LOADS = {
  open: '  rate: 40\n  duration: 1s',
};

async function runLoad(name: string, origin: string, model: keyof typeof LOADS) {
  const spec = path.join(work, `${name}.yaml`);
  await writeFile(spec, `perfspec: 1\nname: ${name}\ntarget:\n  baseUrl: ${origin}\nload:\n${LOADS[model]}\n  flows: [{ name: f, steps: ["GET /"] }]\n`);
  const out = path.join(work, name);
  const outcome = await runCli(['run', spec, '-o', out, '--reporter', 'console,markdown,html,json']);
  const json = JSON.parse(await readFile(path.join(out, 'perfspec-report.json'), 'utf8'));
  const probe = json.specs[0].checks[0].probes[0];
  return {
    outcome,
    data: probe.data as {
      protocolErrors?: Record<string, number>;
      overall: { requests: number; errors: number; errorKinds: Record<string, number>; statusCodes: Record<string, number> };
    },
    verdict: (probe.verdicts as Array<{ metric: string; passed: boolean; actualValue: number | null; message: string }>).find(
      (v) => v.metric === 'load.protocol_errors',
    ),
    md: await readFile(path.join(out, 'perfspec-report.md'), 'utf8'),
    html: await readFile(path.join(out, 'perfspec-report.html'), 'utf8'),
  };
}

describe('load reports show protocol errors by kind, and a run with them fails', () => {
  it('Content-Length: -5 on every answer: every request a protocol error, exit 1, shown in console, md, html and json', async () => {
    const { origin, written } = await start({ answer: (socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: -5\r\n\r\nok') });
    const run = await runLoad('negative-length', origin, 'open');
    expect(run.outcome.exitCode, run.outcome.stderr).toBe(1);
    expect(run.data.overall.statusCodes['200'] ?? 0).toBe(0);
    expect(run.data.overall.errorKinds.protocol_error).toBe(run.data.overall.requests);
    // Every answer the server wrote broke framing, and each was charged to one request (none lost, none invented).
    expect(run.data.protocolErrors?.bad_content_length).toBe(written.answers);
    expect(run.verdict).toMatchObject({ passed: false, actualValue: written.answers });
    expect(run.outcome.stdout).toContain('load.protocol_errors');
    expect(run.outcome.stdout).toMatch(/\d+ bad Content-Length/);
    for (const text of [run.md, run.html]) {
      expect(text).toContain('Protocol errors');
      expect(text).toContain('bad Content-Length (negative, malformed or conflicting)');
    }
  });

  it('a response written on every new connection before any request (then the real answers): exit 1, not a PASS', async () => {
    const { origin, written } = await start({ greet: (socket) => socket.write(OK), answer: (socket) => socket.write(OK) });
    const run = await runLoad('greeting', origin, 'open');
    expect(run.outcome.exitCode, run.outcome.stderr).toBe(1);
    expect(run.verdict?.passed).toBe(false);
    const faults = run.data.protocolErrors ?? {};
    // A greeting lands on a connection opened ahead of the schedule (idle: an idle answer), or races
    // a request and is followed by the real answer (bytes after a complete response).
    expect((faults.unrequested_bytes ?? 0) + (faults.idle_answer ?? 0), JSON.stringify(faults)).toBeGreaterThan(0);
    expect((faults.unrequested_bytes ?? 0) + (faults.idle_answer ?? 0)).toBeLessThanOrEqual(written.greetings + written.answers);
    expect(run.data.overall.errorKinds.protocol_error ?? 0).toBe(faults.unrequested_bytes ?? 0);
    expect(run.md).toContain('Protocol errors');
  });

  it('a response written on connect, then the socket closed (no request read): seen on the connections opened ahead (open model), exit 1', async () => {
    const { origin, written } = await start({ greet: (socket) => socket.end(OK) });
    const run = await runLoad('greet-and-close', origin, 'open');
    expect(run.outcome.exitCode, run.outcome.stderr).toBe(1);
    // Connections opened before t = 0 had no request in flight: each greeting there is an idle answer,
    // counted although the server closed the socket right after.
    expect(run.data.protocolErrors?.idle_answer ?? 0).toBeGreaterThan(0);
    expect(run.data.protocolErrors?.idle_answer ?? 0).toBeLessThanOrEqual(written.greetings);
    expect(run.verdict?.passed).toBe(false);
    expect(run.outcome.stdout).toContain('answer on an idle connection');
  });

  it('a well-behaved server (control): the protocol budget passes with 0', async () => {
    const { origin } = await start({ answer: (socket) => socket.write(OK) });
    const run = await runLoad('well-formed', origin, 'open');
    expect(run.outcome.exitCode, run.outcome.stderr).toBe(0);
    expect(run.data.protocolErrors).toBeUndefined();
    expect(run.verdict).toMatchObject({ passed: true, actualValue: 0 });
  });
});
