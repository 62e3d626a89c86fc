/** Start the reference API in-process on a random port, in the given mode. */
// @ts-expect-error -- plain JavaScript module without type declarations
import { createApp } from '../reference-api/app.js';

export interface ReferenceApi {
  url: string;
  close(): Promise<void>;
}

export async function startReferenceApi(
  mode: 'naive' | 'optimized',
  options: { databaseUrl?: string; redisUrl?: string; dbLatencyMs?: number } = {},
): Promise<ReferenceApi> {
  return (await createApp({ mode, port: 0, ...options })) as ReferenceApi;
}
