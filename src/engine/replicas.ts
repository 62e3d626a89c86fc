/**
 * Several replicas of the service under test for the scalability preset: `target.start.replicas: N`
 * starts the command N times, the first on target.baseUrl's port and each other one on a free port
 * of its own (PORT is set for each), and stops them all together.
 */
import { createServer } from 'node:net';
import { PerfspecError } from '../errors.js';
import { startTarget, type StartOptions, type TargetHandle } from './target-server.js';

/** A port nobody listens on now (the OS picks it; the replica binds it moments later). */
async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Base URLs for `count` replicas: the given one first, then the same host on free ports. */
export async function replicaUrls(baseUrl: string, count: number): Promise<string[]> {
  const urls = [baseUrl];
  const url = new URL(baseUrl);
  for (let i = 1; i < count; i++) {
    const other = new URL(baseUrl);
    other.port = String(await freePort(url.hostname.replace(/^\[|\]$/g, '')));
    urls.push(other.toString().replace(/\/+$/, ''));
  }
  return urls;
}

export async function startReplicas(count: number, options: StartOptions): Promise<TargetHandle & { replicas: string[] }> {
  const urls = await replicaUrls(options.baseUrl, count);
  const handles: TargetHandle[] = [];
  const stopAll = async () => {
    await Promise.all(handles.map((h) => h.stop().catch(() => undefined)));
  };
  try {
    for (const [i, url] of urls.entries()) {
      options.log(`target: replica ${i + 1} of ${count} at ${url}`);
      handles.push(await startTarget({ ...options, baseUrl: url }));
    }
  } catch (error) {
    await stopAll();
    if (error instanceof PerfspecError) throw error;
    throw new PerfspecError('PS_TARGET_START_FAILED', `target.start.replicas: replica ${handles.length + 1} could not start: ${(error as Error).message}`);
  }
  return { started: handles.some((h) => h.started), stop: stopAll, replicas: urls };
}
