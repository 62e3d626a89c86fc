/**
 * The PostgreSQL wire proxy under fuzzing (issue #10: "the PostgreSQL proxy survived 2,000 hostile
 * connections with exact counts afterwards"; "the proxy bounds message size and idle half-open
 * connections"). Fixed seed, bounded time:
 *
 * - frontend: hostile clients send random and mutated startup packets and messages (bad, negative
 *   and huge lengths, truncated messages, unknown types, garbage) in random pieces to a proxy in
 *   front of the real PostgreSQL, then close, half-close or go silent;
 * - backend: a fake server answers a real client with mutated backend messages, through a second
 *   proxy, and the client must receive exactly the bytes the server wrote.
 *
 * Properties: the process never throws; every hostile connection is closed within its bound (the
 * idle timeout, or the server's own answer); and clean clients running beside the hostile ones are
 * counted exactly (ground truth: the statements they sent, and for the real server, what it ran).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgWireProxy } from '../../src/sources/postgres/wire-proxy.js';
import { seededRandom } from '../helpers/seeded-random.js';

const HOST = '127.0.0.1';
const PORT = 5432;
const DATABASE = 'perfspec_faults_wire_fuzz';
const IDLE_MS = 400;
/** Wall-clock budget of each fuzz loop; the cases stop early when it is spent. */
const BUDGET_MS = 2500;

const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n | 0);
  return b;
};
const cstring = (text: string) => Buffer.from(`${text}\0`);
const message = (type: string, body: Buffer, length = body.length + 4) => Buffer.concat([Buffer.from(type), int32(length), body]);
const startup = (application: string, database = DATABASE) =>
  (() => {
    const body = Buffer.concat([
      int32(196608),
      cstring('user'),
      cstring('postgres'),
      cstring('database'),
      cstring(database),
      cstring('application_name'),
      cstring(application),
      Buffer.from([0]),
    ]);
    return Buffer.concat([int32(body.length + 4), body]);
  })();

/** Write `bytes` in random pieces, one per turn of the event loop. */
async function writeInPieces(socket: Socket, bytes: Buffer, rnd: () => number): Promise<void> {
  for (let offset = 0; offset < bytes.length && !socket.destroyed;) {
    const size = 1 + Math.floor(rnd() * Math.min(64, bytes.length - offset));
    socket.write(bytes.subarray(offset, offset + size));
    offset += size;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Resolves with ms until the socket closed, or `limit` if it was still open then. */
function closedWithin(socket: Socket, limit: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(0);
    const timer = setTimeout(() => resolve(limit), limit);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(performance.now() - started);
    });
  });
}

/** A clean client that runs `SELECT <n>` statements one after another until stopped; returns how many it ran. */
function cleanClient(port: number, application: string) {
  let stop = false;
  let sent = 0;
  const client = new pg.Client({ host: HOST, port, user: 'postgres', database: DATABASE, application_name: application });
  const done = (async () => {
    await client.connect();
    while (!stop) {
      await client.query(`SELECT ${sent + 1} AS n /* ${application} */`);
      sent++;
    }
    await client.end();
  })();
  return {
    stop: async () => {
      stop = true;
      await done;
      return sent;
    },
  };
}

describe('PostgreSQL wire proxy fuzzing: hostile clients beside clean ones, in front of the real server', () => {
  let admin: pg.Client;
  let proxy: PgWireProxy;
  beforeAll(async () => {
    admin = new pg.Client({ host: HOST, port: PORT, user: 'postgres', database: 'postgres' });
    await admin.connect();
    if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE])).rowCount === 0) {
      await admin.query(`CREATE DATABASE ${DATABASE}`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error;
      });
    }
    proxy = new PgWireProxy({ upstream: { host: HOST, port: PORT }, maxMessageBytes: 4096, idleTimeoutMs: IDLE_MS });
    await proxy.listen();
  });
  afterAll(async () => {
    await proxy?.close();
    await admin?.end();
  });

  interface Outcome {
    kind: string;
    closedAfterMs: number;
    bound: number;
    /** A session that started up well and then went silent: a legitimate idle connection the proxy must keep. */
    mayStayOpen: boolean;
  }

  /** One hostile connection, chosen by the seeded generator; resolves with what it did and how long the proxy took to close it. */
  async function hostile(rnd: () => number, n: number): Promise<Outcome> {
    const pick = <T>(items: T[]) => items[Math.floor(rnd() * items.length)];
    const socket = connect({ host: HOST, port: proxy.port });
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()).once('error', () => resolve()));
    const garbage = (length: number) => Buffer.from(Array.from({ length }, () => Math.floor(rnd() * 256)));
    const kind = pick(['garbage', 'bad-startup-length', 'huge-startup', 'truncated-startup', 'silent', 'ssl-then-garbage', 'after-startup']);
    let bytes: Buffer;
    switch (kind) {
      case 'garbage':
        bytes = garbage(1 + Math.floor(rnd() * 200));
        break;
      case 'bad-startup-length':
        bytes = Buffer.concat([int32(pick([-1, 0, 3, 7, -0x7fffffff])), int32(196608), garbage(20)]);
        break;
      case 'huge-startup':
        bytes = Buffer.concat([int32(pick([0x7fffffff, 10_001, 1 << 24])), int32(196608), garbage(100)]);
        break;
      case 'truncated-startup':
        bytes = startup(`perfspec-fuzz-hostile-${n}`).subarray(0, 4 + Math.floor(rnd() * 20));
        break;
      case 'silent':
        bytes = Buffer.alloc(0);
        break;
      case 'ssl-then-garbage':
        bytes = Buffer.concat([int32(8), int32(80877103), garbage(1 + Math.floor(rnd() * 50))]);
        break;
      default: {
        // A real session, then mutated frontend messages.
        const query = message('Q', cstring(`SELECT ${n} AS hostile`));
        const mutated = pick([
          () => message('Q', cstring('SELECT 1'), pick([0, 3, -5, 0x7fffffff, 1 << 26])), // bad and huge lengths
          () => query.subarray(0, Math.floor(rnd() * query.length)), // truncated
          () => message(String.fromCharCode(0x61 + Math.floor(rnd() * 26)), garbage(Math.floor(rnd() * 30))), // unknown types
          () => Buffer.concat([query, garbage(1 + Math.floor(rnd() * 40))]), // a good message then garbage
          () => message('P', Buffer.concat([cstring(''), cstring('SELECT $1'), Buffer.from([0, 1]), int32(25)]), pick([5, 9, 1000])), // Parse with a wrong length
          () => Buffer.concat([message('Q', Buffer.alloc(0)), message('X', Buffer.alloc(0), 4)]), // an empty Query, then Terminate
        ])();
        bytes = Buffer.concat([startup(`perfspec-fuzz-hostile-${n}`), mutated]);
      }
    }
    await writeInPieces(socket, bytes, rnd);
    const ending = pick(['end', 'destroy', 'silent']);
    if (ending === 'end') socket.end();
    if (ending === 'destroy') socket.destroy();
    // Bound: a silent client before startup is closed by the idle timeout; after startup the server
    // answers a protocol violation (or the half-open timer closes it). A live, well-formed session
    // that goes silent is a legitimate idle connection: closed by us below.
    const mayStayOpen = kind === 'after-startup' && ending === 'silent';
    const bound = mayStayOpen ? IDLE_MS : IDLE_MS * 3 + 2000;
    const closedAfterMs = await closedWithin(socket, bound);
    socket.destroy();
    return { kind: `${kind}/${ending}`, closedAfterMs, bound, mayStayOpen };
  }

  it('never throws, closes every hostile connection within its bound, and counts clean clients exactly', async () => {
    const rnd = seededRandom(0x9e5f);
    const before = proxy.stats();
    const window = proxy.beginWindowSync();
    const clean = [cleanClient(proxy.port, 'perfspec-fuzz-clean-a'), cleanClient(proxy.port, 'perfspec-fuzz-clean-b')];
    const started = performance.now();
    const outcomes: Outcome[] = [];
    // Eight hostile connections at a time, until the budget is spent.
    while (performance.now() - started < BUDGET_MS) {
      const base = outcomes.length;
      outcomes.push(...(await Promise.all(Array.from({ length: 8 }, (_, i) => hostile(rnd, base + i)))));
    }
    const sent = await Promise.all(clean.map((c) => c.stop()));
    const statements = proxy.endWindowSync(window);

    expect(outcomes.length).toBeGreaterThan(20);
    // Sessions that started up well and then went silent are the only ones allowed to stay open;
    // a client silent before its startup is closed by the idle timeout.
    const hung = outcomes.filter((o) => o.closedAfterMs >= o.bound && !o.mayStayOpen);
    expect(hung, JSON.stringify(hung.slice(0, 5))).toEqual([]);
    const kinds = new Set(outcomes.map((o) => o.kind.split('/')[0]));
    expect(kinds.size).toBe(7);
    expect(outcomes.filter((o) => o.kind.endsWith('/silent') && !o.mayStayOpen).length).toBeGreaterThan(0);

    // Exact for the clean clients: every statement they sent, in order, none invented.
    for (const [i, application] of ['perfspec-fuzz-clean-a', 'perfspec-fuzz-clean-b'].entries()) {
      const theirs = statements.filter((s) => s.application === application);
      expect(theirs.length).toBe(sent[i]);
      expect(theirs.map((s) => s.sql)).toEqual(Array.from({ length: sent[i] }, (_, k) => `SELECT ${k + 1} AS n /* ${application} */`));
      expect(theirs.every((s) => s.error === undefined)).toBe(true);
    }
    expect(sent.every((n) => n > 0)).toBe(true);

    // Nothing left open but what is legitimately idle: once the silent sessions are gone, no connection remains.
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 2));
    const after = proxy.stats();
    expect(after.open).toBe(0);
    expect(after.connections - before.connections).toBe(outcomes.length + 2);
  }, 30_000);
});

describe('PostgreSQL wire proxy fuzzing: mutated backend messages from a fake server', () => {
  let fake: Server;
  let proxy: PgWireProxy;
  let reply: (socket: Socket) => void = () => undefined;
  /** Bytes the fake server wrote on each hostile connection, to compare with what the client got. */
  const written = new Map<number, Buffer[]>();
  let cleanStatements = 0;

  beforeAll(async () => {
    fake = createServer((socket) => {
      socket.on('error', () => undefined);
      let pending = Buffer.alloc(0);
      let started = false;
      let clean = false;
      socket.on('data', (chunk) => {
        pending = Buffer.concat([pending, chunk]);
        if (!started) {
          if (pending.length < 4 || pending.length < pending.readInt32BE(0)) return;
          const packet = pending.subarray(0, pending.readInt32BE(0)).toString('latin1');
          pending = pending.subarray(pending.readInt32BE(0));
          started = true;
          clean = packet.includes('perfspec-fuzz-clean');
          // AuthenticationOk, BackendKeyData, ReadyForQuery.
          socket.write(Buffer.concat([message('R', int32(0)), message('K', Buffer.concat([int32(4242), int32(1)])), message('Z', Buffer.from('I'))]));
          if (!clean) reply(socket);
        }
        // The clean client's simple queries: CommandComplete + ReadyForQuery for each.
        while (clean && pending.length >= 5 && pending.length >= 1 + pending.readInt32BE(1)) {
          const type = String.fromCharCode(pending[0]);
          pending = pending.subarray(1 + pending.readInt32BE(1));
          if (type === 'Q') {
            cleanStatements++;
            socket.write(Buffer.concat([message('C', cstring('SELECT 1')), message('Z', Buffer.from('I'))]));
          }
          if (type === 'X') socket.end();
        }
      });
    });
    await new Promise<void>((resolve) => fake.listen(0, HOST, resolve));
    proxy = new PgWireProxy({ upstream: { host: HOST, port: (fake.address() as { port: number }).port }, maxMessageBytes: 4096, idleTimeoutMs: IDLE_MS });
    await proxy.listen();
  });
  afterAll(async () => {
    await proxy?.close();
    await new Promise<void>((resolve) => fake.close(() => resolve()));
  });

  it('forwards every mutated byte unchanged, never throws, closes with the server, and counts the clean client exactly', async () => {
    const rnd = seededRandom(0xbacc);
    const pick = <T>(items: T[]) => items[Math.floor(rnd() * items.length)];
    const garbage = (length: number) => Buffer.from(Array.from({ length }, () => Math.floor(rnd() * 256)));
    const window = proxy.beginWindowSync();
    const clean = cleanClient(proxy.port, 'perfspec-fuzz-clean-fake');
    const started = performance.now();
    let cases = 0;
    const mismatches: string[] = [];
    const hung: string[] = [];
    while (performance.now() - started < BUDGET_MS) {
      const n = cases++;
      const row = message('D', Buffer.concat([Buffer.from([0, 1]), int32(3), Buffer.from('abc')]));
      const parts = [
        () =>
          message(
            'T',
            Buffer.concat([Buffer.from([0, 1]), cstring('n'), int32(0), Buffer.from([0, 0]), int32(23), Buffer.from([0, 4]), int32(-1), Buffer.from([0, 0])]),
          ),
        () => row,
        () => message('D', garbage(10), pick([0, 3, -7, 0x7fffffff, 1 << 25])), // bad and huge lengths
        () => row.subarray(0, Math.floor(rnd() * row.length)), // truncated
        () => message('C', cstring(pick(['SELECT 1', 'INSERT 0 1', '', 'garbage \u00ff']))),
        () => message('E', Buffer.concat([cstring('SERROR'), cstring('C42601'), cstring('Msyntax'), Buffer.from([0])])),
        () => message(String.fromCharCode(0x61 + Math.floor(rnd() * 26)), garbage(Math.floor(rnd() * 20))), // unknown types
        () => message('Z', Buffer.from(pick(['I', 'T', 'E', '?']))),
        () => garbage(1 + Math.floor(rnd() * 64)),
      ];
      const bytes = Buffer.concat(Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => pick(parts)()));
      const ending = pick(['end', 'destroy']);
      reply = (socket) => {
        written.set(n, [bytes]);
        void writeInPieces(socket, bytes, rnd).then(() => (ending === 'end' ? socket.end() : socket.destroy()));
      };
      // A raw client: startup, then read everything the proxy forwards until it closes.
      const socket = connect({ host: HOST, port: proxy.port });
      socket.on('error', () => undefined);
      const received: Buffer[] = [];
      socket.on('data', (chunk) => received.push(Buffer.from(chunk)));
      socket.write(startup(`perfspec-fuzz-hostile-${n}`, 'any'));
      const closedAfter = await closedWithin(socket, IDLE_MS * 3 + 2000);
      socket.destroy();
      if (closedAfter >= IDLE_MS * 3 + 2000) hung.push(`case ${n}`);
      // The greeting, then exactly what the server wrote (when it ended cleanly, every byte; when it
      // destroyed the socket, a prefix of it may be lost in flight, never altered).
      const greeting = Buffer.concat([message('R', int32(0)), message('K', Buffer.concat([int32(4242), int32(1)])), message('Z', Buffer.from('I'))]);
      const got = Buffer.concat(received);
      const expected = Buffer.concat([greeting, ...(written.get(n) ?? [])]);
      const ok = ending === 'end' ? got.equals(expected) : expected.subarray(0, got.length).equals(got);
      if (!ok) mismatches.push(`case ${n} (${ending}): got ${got.length} bytes, expected ${expected.length}`);
    }
    const sent = await clean.stop();
    const statements = proxy.endWindowSync(window).filter((s) => s.application === 'perfspec-fuzz-clean-fake');

    expect(cases).toBeGreaterThan(20);
    expect(hung).toEqual([]);
    expect(mismatches).toEqual([]);
    expect(sent).toBeGreaterThan(0);
    expect(cleanStatements).toBe(sent);
    expect(statements.length).toBe(sent);
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    expect(proxy.stats().open).toBe(0);
  }, 30_000);
});
