/**
 * The process-level safety net for settings perfspec changes on a Redis server
 * (`notify-keyspace-events`). The normal path restores them in the hit counter's close(), which
 * the service handle and the engine's abort path call; this module covers the paths that never
 * reach it: SIGINT/SIGTERM/SIGHUP with no handler that closes services, `process.exit()` called
 * elsewhere, an uncaught exception.
 *
 * It installs its own signal and exit listeners (through the host process src/cli installed), on
 * purpose: a safety net that the caller must remember to install would not be one. Listeners exist only while a restore is
 * pending, so the process's signal behaviour is unchanged at all other times. SIGKILL cannot be
 * caught; nothing can restore after it.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { hostProcess } from '../../host-process.js';
import { buildRedisOptions, type RedisEndpoint } from './connect.js';
import { dropDeadLocalHolders, FINISH_SCRIPT, leaseKey, RELEASE_SCRIPT, restoreIfStillApplied } from './setting-lease.js';

export interface PendingRestore {
  endpoint: RedisEndpoint;
  /** CONFIG parameter and the value to put back. */
  parameter: string;
  value: string;
  /** The value perfspec set: the restore happens only while the server still holds it. */
  applied: () => string;
  /** This run's id in the setting's lease (see setting-lease.ts): the last holder out restores. */
  leaseRunId?: string;
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

/**
 * Restore everything pending over fresh connections; used on signals. Never throws. A restore
 * stays pending until it has succeeded, so an exit that comes while it is in flight (a second
 * Ctrl-C) still finds it and restores synchronously; both paths are conditional and idempotent.
 */
export async function runPendingRestores(timeoutMs = 3000): Promise<void> {
  const entries = [...pending.entries()];
  await Promise.all(
    entries.map(([id, restore]) =>
      restoreOverFreshConnection(restore, timeoutMs).then(
        () => {
          if (pending.delete(id)) restore.onRestored?.();
        },
        () => undefined,
      ),
    ),
  );
}

/** Leave the lease and, as the last holder, put the setting back if the server still holds perfspec's value. */
export async function restoreOverFreshConnection(restore: Omit<PendingRestore, 'onRestored'>, timeoutMs = 3000): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis(buildRedisOptions(restore.endpoint, timeoutMs));
  client.on('error', () => undefined);
  try {
    await client.connect();
    const key = leaseKey(restore.parameter);
    if (restore.leaseRunId !== undefined) {
      await dropDeadLocalHolders(client, key);
      const live = Number(await client.eval(RELEASE_SCRIPT, 1, key, restore.leaseRunId, Date.now()));
      if (live > 0) return; // another run still needs the setting; it restores when it leaves
    }
    await restoreIfStillApplied(client, restore.parameter, restore.value, restore.applied());
    if (restore.leaseRunId !== undefined) await client.eval(FINISH_SCRIPT, 1, key);
  } finally {
    client.disconnect();
  }
}

/**
 * The synchronous variant for the 'exit' event, where no asynchronous work can run: a short-lived
 * child Node process does the same steps with ioredis (loaded by absolute path). Credentials
 * travel in its environment, not its argv.
 */
export function runPendingRestoresSync(timeoutMs = 3000): void {
  const entries = [...pending.entries()];
  if (entries.length === 0) return;
  const jobs = entries.map(([, restore]) => ({
    options: buildRedisOptions(restore.endpoint, timeoutMs),
    parameter: restore.parameter,
    value: restore.value,
    applied: restore.applied(),
    leaseRunId: restore.leaseRunId ?? null,
    key: leaseKey(restore.parameter),
  }));
  const child = spawnSync(hostProcess().execPath, ['-e', SYNC_RESTORE_SCRIPT], {
    // The jobs go in on stdin: nothing of them (passwords in the options) is visible in the environment.
    input: JSON.stringify({ jobs, release: RELEASE_SCRIPT, finish: FINISH_SCRIPT, ioredis: IOREDIS_PATH }),
    env: {},
    timeout: timeoutMs,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  if (child.status === 0) {
    for (const [id, restore] of entries) if (pending.delete(id)) restore.onRestored?.();
  }
}

const IOREDIS_PATH = createRequire(import.meta.url).resolve('ioredis');

const SYNC_RESTORE_SCRIPT = `
const { jobs, release, finish, ioredis } = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const { Redis } = require(ioredis);
(async () => {
  for (const job of jobs) {
    const client = new Redis({ ...job.options, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      if (job.leaseRunId !== null && Number(await client.eval(release, 1, job.key, job.leaseRunId, Date.now())) > 0) continue;
      const [, current = ''] = await client.config('GET', job.parameter);
      if (current === job.applied) await client.config('SET', job.parameter, job.value);
      if (job.leaseRunId !== null) await client.eval(finish, 1, job.key);
    } finally {
      client.disconnect();
    }
  }
})();
`;
// The script exits 0 once its clients are closed; a failure is an unhandled rejection, which exits 1.

function onSignal(signal: NodeJS.Signals): void {
  // Decided now, not after the restore: by then a handler that was there (the CLI's) may have
  // finished its own shutdown and removed itself, and re-raising would kill its orderly exit.
  const host = hostProcess();
  const handledElsewhere = host.listenerCount(signal) > 1;
  void runPendingRestores().finally(() => {
    uninstall();
    // Nobody else handles this signal: behave as if we had not been listening (terminate).
    if (!handledElsewhere) host.kill(host.pid, signal);
  });
}

function onExit(): void {
  runPendingRestoresSync();
}

function install(): void {
  if (installed) return;
  installed = true;
  const host = hostProcess();
  for (const signal of SIGNALS) host.on(signal, onSignal);
  host.on('exit', onExit);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  const host = hostProcess();
  for (const signal of SIGNALS) host.off(signal, onSignal);
  host.off('exit', onExit);
}
