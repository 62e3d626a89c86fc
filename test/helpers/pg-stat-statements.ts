/**
 * The pg_stat_statements tests need the extension preloaded, which takes a server restart.
 * scripts/services.sh (run first by CI and the README's commands) does that once; a test never
 * restarts the shared server itself, it fails with the fix instead.
 */
import type pg from 'pg';

export async function requirePgStatStatementsPreloaded(admin: pg.Client): Promise<void> {
  const { rows } = await admin.query<{ setting: string }>("SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries'");
  const libraries = rows[0].setting.split(',').map((name) => name.trim());
  if (!libraries.includes('pg_stat_statements')) {
    throw new Error('pg_stat_statements is not preloaded on 127.0.0.1:5432: run `bash scripts/services.sh --tests`, which preloads it (one restart).');
  }
}
