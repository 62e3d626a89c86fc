/**
 * Open the services a spec configures (through the SERVICE_KINDS table), give probes access to
 * them, and close them all — restoring anything perfspec changed — on every exit path.
 */
import { PerfspecError } from '../errors.js';
import type { ProgressSink, ServiceHandle, ServiceKind, ServiceRegistryView } from '../probes/types.js';

export interface OpenedServices extends ServiceRegistryView {
  /** Environment to give a target that perfspec starts (merged from every service). */
  targetEnv(): Record<string, string>;
  closeAll(): Promise<void>;
}

export async function openServices(
  configs: Record<string, unknown> | undefined,
  kinds: readonly ServiceKind[],
  ctx: { signal: AbortSignal; progress: ProgressSink },
): Promise<OpenedServices> {
  const opened = new Map<string, ServiceHandle>();
  const registry: OpenedServices = {
    get<T extends ServiceHandle>(name: string): T {
      const handle = opened.get(name);
      if (!handle) {
        throw new PerfspecError('PS_PROBE_FAILED', `this check needs services.${name}, which the spec does not configure`, {
          hint: `Add services.${name}.url to the spec.`,
        });
      }
      return handle as T;
    },
    has: (name) => opened.has(name),
    serverPids: async () => (await Promise.all([...opened.values()].map((handle) => handle.serverPids?.().catch(() => []) ?? []))).flat(),
    targetEnv: () => Object.assign({}, ...[...opened.values()].map((handle) => handle.targetEnv?.() ?? {})),
    async closeAll() {
      const handles = [...opened.values()].reverse();
      opened.clear();
      await Promise.all(handles.map((handle) => handle.close().catch(() => undefined)));
    },
  };
  try {
    for (const [name, config] of Object.entries(configs ?? {})) {
      const kind = kinds.find((candidate) => candidate.name === name);
      // A service the spec names but no module implements yet is not an error of the spec:
      // no probe can ask for it, so it is simply not opened.
      if (!kind || config === undefined) continue;
      opened.set(name, await kind.open(config as Record<string, unknown>, ctx));
    }
  } catch (error) {
    await registry.closeAll();
    throw error;
  }
  return registry;
}
