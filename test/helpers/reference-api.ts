/** Start the reference API in-process on a random port, in the given mode. */
import { createApp } from '../reference-api/index.js';

export type ReferenceApi = Awaited<ReturnType<typeof createApp>>;

export async function startReferenceApi(
  mode: 'naive' | 'optimized',
  options: { databaseUrl?: string; redisUrl?: string; dbLatencyMs?: number } = {},
): Promise<ReferenceApi> {
  return createApp({ mode, port: 0, ...options });
}
