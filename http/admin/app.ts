import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from 'pino';
import { correlation, type RequestState } from '../correlation.js';
import { statusTitles } from '../status-titles.js';
import type { Operator } from '../../runtime/operator.js';
import type { ClusterView, NodeInfo } from '../../runtime/cluster/types.js';
import { askPeer, livePeers } from './peers.js';

// The operator's API (JSON on `listen.admin`, on every node): the actors of the whole cluster (this node's, and
// the other live nodes' asked through their admin APIs; `scope=node` for this node's alone), the dead letters and
// the cluster's nodes as this node's view has them. Versioned, as later issues extend it to the inspector. Every route takes a Keystone token with the
// admin role, in X-Auth-Token; errors are `{"error": {"code", "title", "message"}}`, as Keystone's.

/** The part of the token service this API needs: who the token's holder is and whether they are an admin. */
export interface AdminTokens {
  context(token: string | undefined): Promise<{ readonly isAdmin: boolean; readonly userId: string }>;
}

export interface AdminServices {
  readonly operator: Operator;
  readonly tokens: AdminTokens;
  readonly cluster: ClusterView;
}

/** A node as the API shows it: the view's record, times as ISO strings, and whether it is the node answering. */
const nodeView = (n: NodeInfo, self: string) => ({
  id: n.nodeId,
  self: n.nodeId === self,
  status: n.status,
  roles: n.roles,
  address: n.address,
  protocol_version: n.protocolVersion,
  started_at: new Date(n.startedAt).toISOString(),
  lease_expires_at: new Date(n.leaseExpiresAt).toISOString(),
  incarnation: n.incarnation,
  pins: n.pins,
  load: n.load,
});

class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_LIMIT = 1_000;
// Names and ids as the runtime makes them: printable, bounded; anything else is refused before it reaches a query.
const NAME = /^[\x21-\x7e]{1,255}$/;

function text(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !NAME.test(value)) throw new AdminError(400, `Invalid ${what}`);
  return value;
}

function limitOf(value: unknown): number {
  if (value === undefined) return MAX_LIMIT;
  if (typeof value !== 'string' || !/^[0-9]{1,7}$/.test(value) || Number(value) < 1) throw new AdminError(400, 'limit must be a positive integer');
  return Math.min(Number(value), MAX_LIMIT);
}

type State = RequestState & { user?: string };

export function adminApp(s: AdminServices, logger: Logger): Koa<State> {
  const app = new Koa<State>();
  app.use(correlation(logger));
  app.use(async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new AdminError(404, 'The resource could not be found.');
    } catch (error) {
      const known =
        error instanceof AdminError
          ? error
          : (error as { status?: number }).status === 401
            ? new AdminError(401, (error as Error).message)
            : undefined;
      if (!known) ctx.state.log.error({ err: error }, 'admin request failed');
      const status = known?.status ?? 500;
      ctx.status = status;
      ctx.body = {
        error: {
          code: status,
          title: statusTitles[status] ?? 'Error',
          message: known?.message ?? 'An unexpected error prevented the server from fulfilling your request.',
        },
      };
    }
  });
  app.use(async (ctx, next) => {
    let auth;
    try {
      auth = await s.tokens.context(ctx.get('x-auth-token') || undefined);
    } catch {
      throw new AdminError(401, 'The request you have made requires authentication.');
    }
    if (!auth.isAdmin) throw new AdminError(403, 'You are not authorized to perform the requested action: the admin role is required.');
    ctx.state.user = auth.userId;
    await next();
  });
  const router = new Router<State>({ prefix: '/v1' });
  const refOf = (params: Record<string, string>) => {
    const ref = { kind: text(params.kind, 'actor kind')!, id: text(params.id, 'actor id')! };
    if (!s.operator.hasKind(ref.kind)) throw new AdminError(404, `No actor kind '${ref.kind}'`);
    return ref;
  };

  // A request another node answers instead: the actor's owner, when it is a live node other than this one.
  const ownerElsewhere = (ref: { kind: string; id: string }, scope: unknown) => {
    if (scope === 'node') return undefined;
    const owner = s.cluster.ownerOf(ref.kind, ref.id);
    return owner === undefined || owner === s.cluster.self ? undefined : livePeers(s.cluster).find((n) => n.nodeId === owner);
  };
  const forward = async (ctx: Koa.ParameterizedContext<State>, peer: NodeInfo, method: string, path: string) => {
    const answer = await askPeer<unknown>(peer, method, `${path}?scope=node`, ctx.get('x-auth-token'));
    if (!answer) throw new AdminError(503, `Node '${peer.nodeId}', which holds this actor, did not answer`);
    ctx.status = answer.status;
    if (answer.body !== undefined) ctx.body = answer.body;
  };

  router.get('/actors', async (ctx) => {
    const kind = text(ctx.query.kind, 'actor kind');
    const status = text(ctx.query.status, 'status');
    const scope = text(ctx.query.scope, 'scope');
    if (scope !== undefined && scope !== 'node' && scope !== 'cluster') throw new AdminError(400, "scope must be 'node' or 'cluster'");
    const limit = limitOf(ctx.query.limit);
    const local = await s.operator.actors({ kind, status, limit });
    if (scope === 'node') {
      ctx.body = { actors: local };
      return;
    }
    const query = new URLSearchParams({ scope: 'node', limit: String(limit), ...(kind ? { kind } : {}), ...(status ? { status } : {}) });
    const peers = livePeers(s.cluster);
    const answers = await Promise.all(
      peers.map((p) => askPeer<{ actors?: Array<{ kind: string; id: string }> }>(p, 'GET', `/v1/actors?${query}`, ctx.get('x-auth-token'))),
    );
    // Failed actors come from the shared tables, so every node lists them: each is shown once.
    const seen = new Set<string>();
    const actors = [...local, ...answers.flatMap((a) => (a?.status === 200 ? (a.body.actors ?? []) : []))].filter((a) => {
      const key = `${a.kind}/${a.id}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    ctx.body = {
      actors: actors.slice(0, limit),
      unreachable_nodes: peers.filter((_, i) => answers[i]?.status !== 200).map((p) => p.nodeId),
    };
  });
  router.get('/actors/:kind/:id', async (ctx) => {
    const ref = refOf(ctx.params);
    const actor = await s.operator.actor(ref);
    if (!actor) {
      const peer = ownerElsewhere(ref, ctx.query.scope);
      if (peer) return forward(ctx, peer, 'GET', `/v1/actors/${ref.kind}/${ref.id}`);
    }
    if (!actor) throw new AdminError(404, `Actor ${ref.kind}/${ref.id} is not active on any live node and has not failed`);
    ctx.body = { actor };
  });
  router.post('/actors/:kind/:id/restart', async (ctx) => {
    const ref = refOf(ctx.params);
    const peer = s.operator.isActive(ref) ? undefined : ownerElsewhere(ref, ctx.query.scope);
    if (peer) return forward(ctx, peer, 'POST', `/v1/actors/${ref.kind}/${ref.id}/restart`);
    await s.operator.restart(ref);
    ctx.state.log.warn({ actor: `${ref.kind}/${ref.id}`, user: ctx.state.user }, 'actor restarted by an operator');
    ctx.status = 202;
    ctx.body = { actor: (await s.operator.actor(ref)) ?? { kind: ref.kind, id: ref.id, status: 'restarted' } };
  });
  router.post('/actors/:kind/:id/stop', async (ctx) => {
    const ref = refOf(ctx.params);
    const peer = s.operator.isActive(ref) ? undefined : ownerElsewhere(ref, ctx.query.scope);
    if (peer) return forward(ctx, peer, 'POST', `/v1/actors/${ref.kind}/${ref.id}/stop`);
    if (!s.operator.stop(ref)) throw new AdminError(404, `Actor ${ref.kind}/${ref.id} is not active on this node`);
    ctx.state.log.warn({ actor: `${ref.kind}/${ref.id}`, user: ctx.state.user }, 'actor stopped by an operator');
    ctx.status = 202;
    ctx.body = { actor: { kind: ref.kind, id: ref.id, status: 'stopping' } };
  });

  router.get('/dead-letters', async (ctx) => {
    const kind = text(ctx.query.kind, 'actor kind');
    const id = text(ctx.query.id, 'actor id');
    ctx.body = { dead_letters: await s.operator.deadLetters({ kind, id, limit: limitOf(ctx.query.limit) }) };
  });
  router.post('/dead-letters/:id/retry', async (ctx) => {
    const id = text(ctx.params.id, 'dead letter id')!;
    const message = await s.operator.retryDeadLetter(id);
    if (!message) throw new AdminError(404, `Dead letter ${id} not found`);
    ctx.status = 202;
    ctx.body = { dead_letter: { id, retried_as: message } };
  });
  router.delete('/dead-letters/:id', async (ctx) => {
    const id = text(ctx.params.id, 'dead letter id')!;
    if (!(await s.operator.dropDeadLetter(id))) throw new AdminError(404, `Dead letter ${id} not found`);
    ctx.status = 204;
  });

  const nodeOf = (params: Record<string, string>) => {
    const id = text(params.id, 'node id')!;
    const node = s.cluster.nodes().find((n) => n.nodeId === id);
    if (!node) throw new AdminError(404, `No node '${id}' in the cluster`);
    return node;
  };
  router.get('/nodes', (ctx) => {
    ctx.body = { nodes: s.cluster.nodes().map((n) => nodeView(n, s.cluster.self)) };
  });
  router.get('/nodes/:id', (ctx) => {
    ctx.body = { node: nodeView(nodeOf(ctx.params), s.cluster.self) };
  });
  router.post('/nodes/:id/drain', (ctx) => {
    const node = nodeOf(ctx.params);
    if (node.status === 'down' || node.status === 'left')
      throw new AdminError(409, `Node '${node.nodeId}' is ${node.status}: only a live node can be drained`);
    const { log } = ctx.state;
    // Handing actors over may take up to cluster.drainMs: the answer says it began, GET /v1/nodes/{id} follows it.
    s.cluster.drain(node.nodeId).then(
      () => log.info({ node: node.nodeId }, 'node drained'),
      (error: unknown) => log.error({ err: error, node: node.nodeId }, 'drain failed'),
    );
    log.warn({ node: node.nodeId, user: ctx.state.user }, 'node drain requested by an operator');
    ctx.status = 202;
    ctx.body = { node: nodeView(s.cluster.nodes().find((n) => n.nodeId === node.nodeId) ?? node, s.cluster.self) };
  });

  app.use(router.routes()).use(
    router.allowedMethods({
      throw: true,
      methodNotAllowed: () => new AdminError(405, 'Method Not Allowed'),
      notImplemented: () => new AdminError(501, 'Not Implemented'),
    }),
  );
  return app;
}
