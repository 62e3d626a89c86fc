/**
 * Types for index.js, so TypeScript tests (the integration test, perfspec's own e2e tests) can import
 * the plain-JavaScript reference API under `strict` without `allowJs`.
 */
export interface QueryEvent {
  /** The SQL text exactly as sent to PostgreSQL. */
  text: string;
  values: unknown[] | undefined;
}

export interface CreateAppOptions {
  mode?: 'naive' | 'optimized';
  databaseUrl?: string;
  redisUrl?: string;
  /** Simulated network round trip paid before every statement, in ms (default 1). */
  dbLatencyMs?: number;
  /** 0 (the default for createApp) picks a free port. */
  port?: number;
  host?: string;
  tokenSecret?: string;
  /** Called for every statement the pool sends, including start-up migration and seed statements. */
  onQuery?: (event: QueryEvent) => void;
  log?: (message: string) => void;
}

export interface ReferenceApi {
  url: string;
  port: number;
  mode: 'naive' | 'optimized';
  close(): Promise<void>;
}

export function createApp(options?: CreateAppOptions): Promise<ReferenceApi>;

export type Mode = 'naive' | 'optimized';
export const MODES: readonly Mode[];
export const DEFAULTS: Readonly<{
  port: number;
  host: string;
  mode: Mode;
  databaseUrl: string;
  redisUrl: string;
  dbLatencyMs: number;
}>;
/** Environment → createApp options (PORT, HOST, REF_API_MODE, DATABASE_URL, REDIS_URL, REF_API_DB_LATENCY_MS, REF_API_TOKEN_SECRET). */
export function readConfig(env: Record<string, string | undefined>): Required<Omit<CreateAppOptions, 'onQuery' | 'log' | 'tokenSecret'>> & {
  tokenSecret?: string;
};

/** The password of every seeded user. */
export const SEED_PASSWORD: string;
/** What the deterministic seed contains. */
export const SEED: Readonly<{
  organizations: { id: number; name: string; ownerId: number }[];
  users: { id: number; email: string; organizationId: number; roles: string[] }[];
  roles: string[];
  permissions: string[];
  auditLogCount: number;
}>;

interface CacheSpec<K> {
  key(id: K): string;
  /** seconds */
  ttl: number;
}
/** Cache keys and TTLs of the optimized mode. */
export const CACHE: Readonly<{
  ssoConfig: CacheSpec<number>;
  orgSettings: CacheSpec<number>;
  rbacPermissions: CacheSpec<number>;
  user: CacheSpec<number>;
}>;
