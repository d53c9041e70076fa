import type { NeutronRouterRow } from '../../models/index.js';
import type { Behaviour, HandlerContext } from '../../runtime/kind.js';
import { reject } from '../../runtime/errors.js';
import { refusing } from '../network/ops.js';
import type { RouterOps } from './ops.js';
import type { routerProtocol } from './protocol.js';

export interface RouterDeps {
  readonly ops: RouterOps;
  /** Test-only: crash the handler of this message type once (supervision restarts the actor and retries it). */
  readonly crashOnce?: (kind: string, type: string) => boolean;
}

const notFound = (ctx: HandlerContext) => reject(`Router ${ctx.self.id} could not be found`, { status: 404, type: 'RouterNotFound' });

function crashPoint(deps: RouterDeps, type: string): void {
  if (deps.crashOnce?.('router', type)) throw new Error(`test-only crash of router.${type}`);
}

/** A router's actor: its state is the router's row; its gateway port and interface ports are its changes' rows. */
export const routerBehaviour = (deps: RouterDeps): Behaviour<NeutronRouterRow, typeof routerProtocol.spec> => ({
  create: async (state, { row, gateway }, ctx) => {
    if (state) return { reply: state };
    if (row.id !== ctx.self.id) throw reject(`router id ${String(row.id)} is not ${ctx.self.id}`);
    const stored = await refusing(() => deps.ops.createRouter(row, gateway));
    crashPoint(deps, 'create');
    return { state: stored, reply: stored };
  },
  update: async (state, { changes, gateway }, ctx) => {
    if (!state) throw notFound(ctx);
    crashPoint(deps, 'update');
    const stored = await refusing(() => deps.ops.updateRouter(ctx.self.id, changes, gateway));
    return { state: stored, reply: stored };
  },
  delete: async (state, _payload, ctx) => {
    if (!state) return { reply: { deleted: ctx.self.id } };
    await refusing(() => deps.ops.deleteRouter(ctx.self.id));
    crashPoint(deps, 'delete');
    return { state: null, reply: { deleted: ctx.self.id } };
  },
  addInterface: async (state, asked, ctx) => {
    if (!state) throw notFound(ctx);
    crashPoint(deps, 'addInterface');
    return { reply: await refusing(() => deps.ops.addInterface(state, asked)) };
  },
  removeInterface: async (state, asked, ctx) => {
    if (!state) throw notFound(ctx);
    crashPoint(deps, 'removeInterface');
    return { reply: await refusing(() => deps.ops.removeInterface(state, asked)) };
  },
  get: (state, _payload, ctx) => {
    if (!state) throw notFound(ctx);
    return { reply: state };
  },
});
