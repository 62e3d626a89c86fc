/**
 * The query proxy's share of a latency check (issue: the proxy's cost in plain sight). When the spec
 * routes the API's database through perfspec's proxy, every statement an endpoint runs pays the
 * proxy's hop; this counts the statements that passed through the proxy during the check, measures
 * the proxy's added time per statement right after it, and says how much of each latency that is.
 */
import type { PostgresServiceHandle } from '../../sources/postgres/service.js';
import { describeProxyCost, type ProxyCost } from '../../sources/postgres/proxy-cost.js';
import type { ProbeContext } from '../types.js';

export interface ProxyShare {
  statementsPerRequest: number;
  cost: ProxyCost;
  estimatedMsPerRequest: number;
  note: string;
}

/** Start counting; the returned function ends the count (undefined when no proxy is in the way). */
export function watchProxyShare(ctx: ProbeContext): (requests: number) => Promise<ProxyShare | undefined> {
  const service = ctx.services.has('postgres') ? ctx.services.get<PostgresServiceHandle>('postgres') : undefined;
  const before = service?.proxyStatements?.();
  return async (requests) => {
    if (!service || before === undefined || requests <= 0) return undefined;
    const statements = (service.proxyStatements() ?? before) - before;
    if (statements <= 0) return undefined; // the API ran nothing through the proxy: it added nothing
    const cost = await service.measureProxyCost();
    if (!cost) return undefined;
    const statementsPerRequest = statements / requests;
    return {
      statementsPerRequest,
      cost,
      estimatedMsPerRequest: statementsPerRequest * cost.addedMsPerStatement,
      note: describeProxyCost(cost, statementsPerRequest),
    };
  };
}
