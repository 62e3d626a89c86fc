/**
 * Will the sockets a scenario can open fit under the open-file limit? Checked before any request:
 * past the limit every connect fails with EMFILE, and a run that hits it measures its own
 * failures instead of the target. Pure: the limit is read elsewhere (limits/open-file-limit.ts).
 *
 * Counted in perfspec's process: per generator thread and origin, `connections` sockets at most
 * (never more than the users or in-flight iterations that thread can have), plus what is open
 * already, a reserve for reports, services and the probes' own client, a few per worker thread,
 * and, when the spec routes the database through perfspec's proxy, two descriptors per database
 * connection of the target (assumed at most PROXY_DB_CONNECTIONS). A target that perfspec starts
 * inherits the same limit and accepts every load connection, so it is checked the same way.
 */
import type { OpenFileLimit } from '../limits/open-file-limit.js';
import type { ScenarioPlan } from './plan-scenario.js';

/** Descriptors kept for report files, service clients, the probes' HTTP client and Node itself. */
export const RESERVED_FDS = 64;
/** Per worker thread: its event loop's epoll and eventfd handles, message ports. */
export const FDS_PER_WORKER = 8;
/** Database connections the target may open through the proxy (each one is two descriptors here). */
export const PROXY_DB_CONNECTIONS = 100;

export interface SocketBudgetInput {
  plan: Pick<ScenarioPlan, 'name' | 'connections' | 'workers' | 'maxUsers'>;
  /** Distinct origins the flows send to (regions with their own base URL, absolute URLs). */
  origins: number;
  /** The spec routes the target's database through perfspec's PostgreSQL proxy. */
  proxy: boolean;
  /** perfspec starts the target (target.start): it shares the limit. */
  startsTarget: boolean;
  limit: OpenFileLimit;
}

/** Sockets the load can hold open at once: per thread and origin, the connections it can use. */
export function loadSockets(plan: SocketBudgetInput['plan'], origins: number): { total: number; perOrigin: number } {
  const perOrigin = Math.min(plan.connections, Math.ceil(plan.maxUsers / plan.workers));
  return { total: perOrigin * origins * plan.workers, perOrigin };
}

/** Problems (empty when the scenario fits), each naming the numbers and the fix. */
export function checkSocketBudget(input: SocketBudgetInput): string[] {
  const { plan, origins, limit } = input;
  const { total, perOrigin } = loadSockets(plan, origins);
  const spread = origins * plan.workers;
  const shape = `${perOrigin} connection${perOrigin === 1 ? '' : 's'} × ${origins} origin${origins === 1 ? '' : 's'} × ${plan.workers} worker${plan.workers === 1 ? '' : 's'}`;
  const hardNote = limit.hard === limit.soft ? '' : ` (hard limit ${limit.hard})`;
  const problems: string[] = [];

  const proxyFds = input.proxy ? 2 * PROXY_DB_CONNECTIONS : 0;
  const fixed = limit.inUse + RESERVED_FDS + FDS_PER_WORKER * plan.workers + proxyFds;
  const needed = total + fixed;
  if (needed > limit.soft) {
    const extras = [
      `${limit.inUse} already open`,
      `${RESERVED_FDS} kept for reports and clients`,
      ...(input.proxy ? [`${proxyFds} for the PostgreSQL proxy (2 × ${PROXY_DB_CONNECTIONS} database connections)`] : []),
    ];
    const fit = Math.floor((limit.soft - fixed) / spread);
    problems.push(
      `load scenario "${plan.name}": it can open ${total} sockets (${shape}), but this process may open only ${limit.soft} files${hardNote}: ` +
        `${needed} needed with ${extras.join(', ')}. perfspec cannot raise its own limit (Node has already raised it to the hard limit). ` +
        `Fix: run \`ulimit -n ${roundUp(needed)}\` before perfspec (above the hard limit needs root or limits.conf), or ${fit >= 1 ? `set connections to at most ${fit}` : 'lower workers and origins'}.`,
    );
  }
  if (input.startsTarget && total + RESERVED_FDS > limit.soft) {
    const fit = Math.floor((limit.soft - RESERVED_FDS) / spread);
    problems.push(
      `load scenario "${plan.name}": the target perfspec starts inherits the open-file limit of ${limit.soft} and must accept ${total} connections (${shape}) plus its own files. ` +
        `Fix: run \`ulimit -n ${roundUp(total + RESERVED_FDS)}\` before perfspec, or ${fit >= 1 ? `set connections to at most ${fit}` : 'lower workers and origins'}.`,
    );
  }
  return problems;
}

/** A limit worth typing: the next multiple of 1024. */
function roundUp(n: number): number {
  return Math.ceil(n / 1024) * 1024;
}
