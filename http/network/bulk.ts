import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { badRequest } from './errors.js';
import { deletePort } from './port-store.js';
import { jsonBody, serialized, type NetworkServices, type NetworkState } from './services.js';

const BULK: Readonly<Record<string, 'network' | 'subnet' | 'port'>> = {
  '/v2.0/networks': 'network',
  '/v2.0/subnets': 'subnet',
  '/v2.0/ports': 'port',
};
/** As many items as one bulk request may create (Neutron bounds it only by the request's size). */
export const MAX_BULK = 1_000;

/**
 * Neutron's bulk creates (`{"networks": [...]}`, subnets, ports): each item created by the single create's own
 * route, in order; all or none, as Neutron's native bulk — a refused item undoes the ones made before it and its
 * refusal is the answer.
 */
export function bulkCreates(s: NetworkServices, routes: ReturnType<Router<NetworkState>['routes']>): Middleware<NetworkState> {
  return async (ctx, next) => {
    const resource = ctx.method === 'POST' ? BULK[ctx.path] : undefined;
    if (!resource) {
      await next();
      return;
    }
    const body = await jsonBody(ctx);
    ctx.state.body = { value: body };
    const items = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>)[`${resource}s`] : undefined;
    if (items === undefined) {
      await next();
      return;
    }
    if (!Array.isArray(items) || !items.length) throw badRequest(`Object '${resource}s' contains invalid data`);
    if (items.length > MAX_BULK) throw badRequest(`A bulk request creates at most ${MAX_BULK} ${resource}s`);
    const made: Array<Record<string, unknown>> = [];
    try {
      for (const item of items as unknown[]) {
        ctx.state.body = { value: { [resource]: item } };
        ctx.body = undefined;
        await routes(ctx as Parameters<typeof routes>[0], () => Promise.resolve());
        made.push((ctx.body as Record<string, Record<string, unknown>>)[resource]);
      }
    } catch (error) {
      await undo(s, resource, made);
      throw error;
    }
    ctx.status = 201;
    ctx.body = { [`${resource}s`]: made };
  };
}

async function undo(s: NetworkServices, resource: 'network' | 'subnet' | 'port', made: ReadonlyArray<Record<string, unknown>>): Promise<void> {
  for (const item of [...made].reverse()) {
    const id = item.id as string;
    if (resource === 'network') await s.actors.network(id).delete({});
    else if (resource === 'subnet') await s.actors.network(item.network_id as string).deleteSubnet({ id });
    else await serialized(s, [`network:${item.network_id as string}`], (transaction) => deletePort(s, id, transaction));
  }
}
