/**
 * The process-level safety net for settings perfspec changes on a Redis server
 * (`notify-keyspace-events`). The normal path restores them in the hit counter's close(), which
 * the service handle and the engine's abort path call; this module covers the paths that never
 * reach it: SIGINT/SIGTERM/SIGHUP with no handler that closes services, `process.exit()` called
 * elsewhere, an uncaught exception.
 *
 * It is the one place outside src/cli that touches `process`, on purpose: a safety net that the
 * caller must remember to install would not be one. Listeners exist only while a restore is
 * pending, so the process's signal behaviour is unchanged at all other times. SIGKILL cannot be
 * caught; nothing can restore after it.
 */
import { spawnSync } from 'node:child_process';
import { buildRedisOptions, type RedisEndpoint } from './connect.js';

export interface PendingRestore {
  endpoint: RedisEndpoint;
  /** CONFIG parameter and the value to put back. */
  parameter: string;
  value: string;
  /** Called (synchronously) once the value is back, e.g. to drop the restore journal. */
  onRestored?: () => void;
}

const pending = new Map<number, PendingRestore>();
let nextId = 1;
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let installed = false;

/** Remember a restore until the returned function is called (after the normal path restored). */
export function registerRestore(restore: PendingRestore): () => void {
  const id = nextId++;
  pending.set(id, restore);
  install();
  return () => {
    pending.delete(id);
    if (pending.size === 0) uninstall();
  };
}

/** How many restores are pending (for tests and diagnostics). */
export function countPendingRestores(): number {
  return pending.size;
}

/** Restore everything pending over fresh connections; used on signals. Never throws. */
export async function runPendingRestores(timeoutMs = 3000): Promise<void> {
  const restores = [...pending.values()];
  pending.clear();
  await Promise.all(
    restores.map((restore) =>
      restoreOverFreshConnection(restore, timeoutMs).then(
        () => restore.onRestored?.(),
        () => undefined,
      ),
    ),
  );
}

/** Put one setting back over a connection of its own. */
export async function restoreOverFreshConnection(restore: PendingRestore, timeoutMs = 3000): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis(buildRedisOptions(restore.endpoint, timeoutMs));
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.config('SET', restore.parameter, restore.value);
  } finally {
    client.disconnect();
  }
}

/**
 * The synchronous variant for the 'exit' event, where no asynchronous work can run: a short-lived
 * child Node process sends the CONFIG SET. Credentials travel in its environment, not its argv.
 */
export function runPendingRestoresSync(timeoutMs = 3000): void {
  const restores = [...pending.values()];
  pending.clear();
  if (restores.length === 0) return;
  const child = spawnSync(process.execPath, ['-e', SYNC_RESTORE_SCRIPT], {
    env: { PERFSPEC_REDIS_RESTORE: JSON.stringify(restores) },
    timeout: timeoutMs,
    stdio: 'ignore',
  });
  if (child.status === 0) for (const restore of restores) restore.onRestored?.();
}

// Raw RESP so the child needs no module resolution: AUTH when needed, then CONFIG SET, then exit.
const SYNC_RESTORE_SCRIPT = `
const net = require('node:net'); const tls = require('node:tls');
const enc = (a) => '*' + a.length + '\\r\\n' + a.map((s) => '$' + Buffer.byteLength(s) + '\\r\\n' + s + '\\r\\n').join('');
const restores = JSON.parse(process.env.PERFSPEC_REDIS_RESTORE);
let left = restores.length, failed = false;
for (const r of restores) {
  const e = r.endpoint;
  const s = e.tls ? tls.connect({ host: e.host, port: e.port, servername: e.host }) : net.connect({ host: e.host, port: e.port });
  let want = 1, got = 0;
  s.on(e.tls ? 'secureConnect' : 'connect', () => {
    let out = '';
    if (e.password !== undefined && e.password !== null) { want++; out += enc(e.username ? ['AUTH', e.username, e.password] : ['AUTH', e.password]); }
    out += enc(['CONFIG', 'SET', r.parameter, r.value]);
    s.write(out);
  });
  let finished = false;
  const done = (ok) => { if (finished) return; finished = true; failed ||= !ok; s.destroy(); if (--left === 0) process.exit(failed ? 1 : 0); };
  s.on('data', (d) => { const text = String(d); if (/(^|\\n)-/.test(text)) return done(false); got += text.split('\\r\\n').length - 1; if (got >= want) done(true); });
  s.on('error', () => done(false));
}
`;

function onSignal(signal: NodeJS.Signals): void {
  // Decided now, not after the restore: by then a handler that was there (the CLI's) may have
  // finished its own shutdown and removed itself, and re-raising would kill its orderly exit.
  const handledElsewhere = process.listenerCount(signal) > 1;
  void runPendingRestores().finally(() => {
    uninstall();
    // Nobody else handles this signal: behave as if we had not been listening (terminate).
    if (!handledElsewhere) process.kill(process.pid, signal);
  });
}

function onExit(): void {
  runPendingRestoresSync();
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const signal of SIGNALS) process.on(signal, onSignal);
  process.on('exit', onExit);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  for (const signal of SIGNALS) process.removeListener(signal, onSignal);
  process.removeListener('exit', onExit);
}
