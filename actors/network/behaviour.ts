import type { NeutronNetworkRow } from '../../models/index.js';
import type { Behaviour, HandlerContext } from '../../runtime/kind.js';
import { reject } from '../../runtime/errors.js';
import type { networkProtocol } from './protocol.js';
import { refusing, type NetworkOps } from './ops.js';

export interface NetworkDeps {
  readonly ops: NetworkOps;
  /** Test-only: crash the handler of this message type once (supervision restarts the actor and retries it). */
  readonly crashOnce?: (kind: string, type: string) => boolean;
}

const notFound = (ctx: HandlerContext) => reject(`Network ${ctx.self.id} could not be found.`, { status: 404, type: 'NetworkNotFound' });

function crashPoint(deps: NetworkDeps, type: string): void {
  if (deps.crashOnce?.('network', type)) throw new Error(`test-only crash of network.${type}`);
}

/**
 * A network's actor: its state is the network's row; it creates, changes and deletes the network and its subnets.
 * The writes run in its handlers (`NetworkOps`), after which the row it holds is the one stored.
 */
export const networkBehaviour = (deps: NetworkDeps): Behaviour<NeutronNetworkRow, typeof networkProtocol.spec> => ({
  create: async (state, { row }, ctx) => {
    if (state) return { reply: state };
    if (row.id !== ctx.self.id) throw reject(`network id ${String(row.id)} is not ${ctx.self.id}`);
    const stored = await refusing(() => deps.ops.createNetwork(row));
    crashPoint(deps, 'create');
    return { state: stored, reply: stored };
  },
  update: async (state, { changes }, ctx) => {
    if (!state) throw notFound(ctx);
    crashPoint(deps, 'update');
    const stored = await refusing(() => deps.ops.updateNetwork(ctx.self.id, changes));
    return { state: stored, reply: stored };
  },
  delete: async (state, _payload, ctx) => {
    if (!state) return { reply: { deleted: ctx.self.id } };
    await refusing(() => deps.ops.deleteNetwork(ctx.self.id));
    crashPoint(deps, 'delete');
    return { state: null, reply: { deleted: ctx.self.id } };
  },
  createSubnet: async (state, { row }, ctx) => {
    if (!state) throw notFound(ctx);
    if ((row as { network_id?: unknown }).network_id !== ctx.self.id) throw reject(`subnet ${row.id} is not on network ${ctx.self.id}`);
    const stored = await refusing(() => deps.ops.createSubnet(row));
    // After the subnet's own commit: a retry finds it and answers with it.
    crashPoint(deps, 'createSubnet');
    return { reply: stored };
  },
  updateSubnet: async (state, { id, changes }, ctx) => {
    if (!state) throw notFound(ctx);
    crashPoint(deps, 'updateSubnet');
    return { reply: await refusing(() => deps.ops.updateSubnet(id, changes)) };
  },
  deleteSubnet: async (state, { id }, ctx) => {
    if (!state) throw notFound(ctx);
    await refusing(() => deps.ops.deleteSubnet(id));
    crashPoint(deps, 'deleteSubnet');
    return { reply: { deleted: id } };
  },
  get: (state, _payload, ctx) => {
    if (!state) throw notFound(ctx);
    return { reply: state };
  },
});
