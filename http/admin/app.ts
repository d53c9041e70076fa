import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from 'pino';
import { correlation, type RequestState } from '../correlation.js';
import { statusTitles } from '../status-titles.js';
import type { Operator } from '../../runtime/operator.js';
import type { ClusterView, NodeInfo } from '../../runtime/cluster/types.js';
import { askPeer, livePeers } from './peers.js';
import type { ConsoleRow, Models } from '../../models/index.js';
import { readRow, readRows } from '../../models/typed.js';
import type { OperatorAudit } from './audit.js';
import { clusterInventory, clusterTree, nodeInventory } from './inventory.js';
import { clusterConsoles, type ConsoleSessionView } from './consoles.js';
import { readJson } from '../body.js';
import { ComputeFault } from '../../services/compute/errors.js';
import {
  changeComputeService,
  listComputeServices,
  serviceState,
  type ServiceChange,
  type ServiceStateDeps,
} from '../../services/compute/service-state.js';

export type { ConsoleSessionView } from './consoles.js';

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
  readonly models: Models;
  readonly audit: OperatorAudit;
  /** This node's open console sessions (its console proxies' registry); absent: `consoles` is null (not wired). */
  readonly consoleSessions?: () => ConsoleSessionView[];
  /** The compute services' rows and host actors, to disable and enable them; absent: `services` is 501. */
  readonly computeServices?: ServiceStateDeps;
  /** Ends an open console session through its actor (on whichever node holds it); answers its closed row. */
  readonly closeConsole?: (id: string) => Promise<ConsoleRow>;
}

/** A node as the API shows it: the view's record, times as ISO strings, and whether it is the node answering. */
export const nodeView = (n: NodeInfo, self: string) => ({
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

export class AdminError extends Error {
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

export type AdminState = RequestState & { user?: string; forwarded?: boolean };
type State = AdminState;

/** Every error as Keystone's body, `{"error": {"code", "title", "message"}}`; an unknown path is 404 in it too. */
export const adminErrors = (): Koa.Middleware<State> => async (ctx, next) => {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) throw new AdminError(404, 'The resource could not be found.');
  } catch (error) {
    const known =
      error instanceof AdminError ? error : (error as { status?: number }).status === 401 ? new AdminError(401, (error as Error).message) : undefined;
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
};

/** The admin role, from a Keystone token in X-Auth-Token: 401 without a valid one, 403 for anyone else. */
export const adminAuth =
  (tokens: AdminTokens): Koa.Middleware<State> =>
  async (ctx, next) => {
    ctx.state.user = await adminOf(tokens, ctx.get('x-auth-token') || undefined);
    await next();
  };

/** The user id of an admin's token; throws the 401 or 403 the token earns otherwise. */
export async function adminOf(tokens: AdminTokens, token: string | undefined): Promise<string> {
  let auth;
  try {
    auth = await tokens.context(token);
  } catch {
    throw new AdminError(401, 'The request you have made requires authentication.');
  }
  if (!auth.isAdmin) throw new AdminError(403, 'You are not authorized to perform the requested action: the admin role is required.');
  return auth.userId;
}

export function adminApp(s: AdminServices, logger: Logger): Koa<State> {
  const app = new Koa<State>();
  app.use(correlation(logger));
  app.use(adminErrors());
  app.use(adminAuth(s.tokens));
  const router = adminRoutes(s, '/v1');
  app.use(router.routes()).use(
    router.allowedMethods({
      throw: true,
      methodNotAllowed: () => new AdminError(405, 'Method Not Allowed'),
      notImplemented: () => new AdminError(501, 'Not Implemented'),
    }),
  );
  return app;
}

const offsetOf = (value: unknown): number => {
  if (value === undefined) return 0;
  if (typeof value !== 'string' || !/^[0-9]{1,7}$/.test(value)) throw new AdminError(400, 'offset must be a non-negative integer');
  return Number(value);
};
// A search: letters, digits, spaces and . _ : - only (it reaches a LIKE pattern, where % would be a wildcard).
const SEARCH = /^[A-Za-z0-9 ._:-]{1,64}$/;
const STATES = ['loading', 'ready', 'restarting', 'failed', 'stale', 'stopped', 'passivated'];

/**
 * The admin API's routes under `prefix`: `/v1` on the admin port, `<inspector.path>/api` on the inspector's. The
 * caller has passed adminAuth. An action is audited by the node that takes it (a request passed to the actor's owner, there).
 */
export function adminRoutes(s: AdminServices, prefix: string): Router<State> {
  const router = new Router<State>({ prefix });
  const audited =
    (action: string, target: (params: Record<string, string>) => string): Koa.Middleware<State> =>
    async (ctx, next) => {
      let result = 'error';
      let detail: string | undefined;
      try {
        await next();
        result = ctx.status < 400 ? 'accepted' : 'refused';
        if (ctx.status >= 400) detail = JSON.stringify(ctx.body).slice(0, 500);
      } catch (error) {
        result = error instanceof AdminError && error.status < 500 ? 'refused' : 'error';
        detail = (error as Error).message;
        throw error;
      } finally {
        // Passed to the node holding the actor: that node acted, and audited it.
        if (!ctx.state.forwarded)
          await s.audit
            .record({
              userId: ctx.state.user!,
              action,
              target: target((ctx as unknown as { params: Record<string, string> }).params),
              result,
              ...(detail ? { detail } : {}),
            })
            .catch((e: unknown) => {
              ctx.state.log.error({ err: e }, 'audit write failed');
            });
      }
    };
  const actorTarget = (params: Record<string, string>) => `${params.kind}/${params.id}`;
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
    ctx.state.forwarded = true;
    ctx.status = answer.status;
    if (answer.body !== undefined) ctx.body = answer.body;
  };

  router.get('/actors', async (ctx, next) => {
    if (ctx.query.view === 'inventory' || ['offset', 'node', 'state', 'q'].some((k) => ctx.query[k] !== undefined)) {
      await next();
      return;
    }
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
  // The inspector's search: per node counts and one window of rows (`offset`, `limit` ≤ 1,000), the whole
  // cluster's unless `scope=node`; `state=passivated` (or a search `q`) reads the actors' rows as well.
  router.get('/actors', async (ctx) => {
    const scope = text(ctx.query.scope, 'scope');
    if (scope !== undefined && scope !== 'node' && scope !== 'cluster') throw new AdminError(400, "scope must be 'node' or 'cluster'");
    const kind = text(ctx.query.kind, 'actor kind');
    if (kind !== undefined && !s.operator.hasKind(kind)) throw new AdminError(400, `No actor kind '${kind}'`);
    const state = text(ctx.query.state ?? ctx.query.status, 'state');
    if (state !== undefined && !STATES.includes(state)) throw new AdminError(400, `state must be one of ${STATES.join(', ')}`);
    const q = ctx.query.q;
    if (q !== undefined && (typeof q !== 'string' || !SEARCH.test(q)))
      throw new AdminError(400, 'q must be 1 to 64 letters, digits, spaces or . _ : -');
    const node = text(ctx.query.node, 'node');
    const limit = ctx.query.limit === '0' ? 0 : limitOf(ctx.query.limit);
    const search = {
      ...(kind ? { kind } : {}),
      ...(state ? { state } : {}),
      ...(q ? { q: q.toLowerCase() } : {}),
      ...(node ? { node } : {}),
      offset: offsetOf(ctx.query.offset),
      limit,
    };
    const deps = { operator: s.operator, cluster: s.cluster, models: s.models };
    if (scope === 'node') {
      ctx.body = state === 'passivated' ? { total: 0, counts: {}, actors: [] } : await nodeInventory(deps, search);
      return;
    }
    ctx.body = await clusterInventory(deps, search, ctx.get('x-auth-token'));
  });
  router.get('/tree', async (ctx) => {
    const scope = text(ctx.query.scope, 'scope');
    if (scope === 'node') {
      ctx.body = { supervisors: s.operator.tree() };
      return;
    }
    const tree = await clusterTree({ operator: s.operator, cluster: s.cluster, models: s.models }, ctx.get('x-auth-token'));
    const consoles = s.consoleSessions ? await clusterConsoles(s.consoleSessions(), s.cluster, ctx.get('x-auth-token')) : undefined;
    ctx.body = {
      nodes: tree.nodes.map((t) => ({ ...nodeView(t.node, s.cluster.self), ...(t.supervisors ? { supervisors: t.supervisors } : {}) })),
      passivated: tree.passivated,
      consoles: consoles?.consoles ?? null,
      unreachable_nodes: [...new Set([...tree.unreachable_nodes, ...(consoles?.unreachable_nodes ?? [])])],
    };
  });
  // Console sessions: this node's (`scope=node`) or the cluster's; each node's registry holds its own sockets.
  router.post(
    '/consoles/:id/close',
    audited('console.close', (params) => String(params.id)),
    async (ctx) => {
      const id = text(ctx.params.id, 'console session id')!;
      // The row first: an unknown id would be a durable message to an actor no node holds.
      const row = await readRow(s.models.Console, { where: { id } });
      if (!row || !s.closeConsole) throw new AdminError(404, `Console session ${id} not found`);
      if (row.status !== 'open') throw new AdminError(409, `Console session ${id} is not open (${row.status})`);
      const ended = await s.closeConsole(id);
      ctx.state.log.warn({ console: id, server: ended.instance_uuid, user: ctx.state.user }, 'console session closed by an operator');
      ctx.body = {
        console: {
          id,
          server: ended.instance_uuid,
          node: ended.node ?? null,
          status: ended.status,
          end_reason: ended.end_reason ?? null,
          bytes_to_guest: Number(ended.bytes_to_guest ?? 0),
          bytes_to_client: Number(ended.bytes_to_client ?? 0),
        },
      };
    },
  );

  router.get('/consoles', async (ctx) => {
    const scope = text(ctx.query.scope, 'scope');
    if (scope !== undefined && scope !== 'node' && scope !== 'cluster') throw new AdminError(400, "scope must be 'node' or 'cluster'");
    if (!s.consoleSessions) throw new AdminError(501, 'Console sessions are not available on this node');
    ctx.body = scope === 'node' ? { consoles: s.consoleSessions() } : await clusterConsoles(s.consoleSessions(), s.cluster, ctx.get('x-auth-token'));
  });
  router.get('/audit', async (ctx) => {
    const action = text(ctx.query.action, 'action');
    const before = ctx.query.before === undefined ? undefined : offsetOf(ctx.query.before);
    ctx.body = {
      audit: await s.audit.list({
        limit: Math.min(limitOf(ctx.query.limit), 500),
        ...(action ? { action } : {}),
        ...(before !== undefined ? { before } : {}),
      }),
    };
  });
  router.get('/actors/:kind/:id', async (ctx) => {
    const ref = refOf(ctx.params);
    const actor = await s.operator.actor(ref);
    if (!actor) {
      const peer = ownerElsewhere(ref, ctx.query.scope);
      if (peer) return forward(ctx, peer, 'GET', `/v1/actors/${ref.kind}/${ref.id}`);
    }
    // Not live anywhere but known by its row: passivated (it comes back from that row on its next message).
    const record = actor ? undefined : await readRow(s.models.ActorRecord, { where: { kind: ref.kind, id: ref.id } });
    if (!actor && !record) throw new AdminError(404, `Actor ${ref.kind}/${ref.id} is not active on any live node and has not failed`);
    const crashes = await readRows(s.models.ActorCrash, { where: { kind: ref.kind, actor_id: ref.id }, order: [['seq', 'DESC']], limit: 20 });
    ctx.body = {
      actor: actor ?? { kind: ref.kind, id: ref.id, node: record!.node, status: 'passivated', epoch: record!.epoch },
      crashes: crashes.map((c) => ({
        reason: c.reason,
        stack: c.stack,
        message_type: c.message_type,
        message_id: c.message_id,
        at: new Date(c.at).toISOString(),
      })),
    };
  });
  router.post('/actors/:kind/:id/restart', audited('actor.restart', actorTarget), async (ctx) => {
    const ref = refOf(ctx.params);
    const peer = s.operator.isActive(ref) ? undefined : ownerElsewhere(ref, ctx.query.scope);
    if (peer) return forward(ctx, peer, 'POST', `/v1/actors/${ref.kind}/${ref.id}/restart`);
    await s.operator.restart(ref);
    ctx.state.log.warn({ actor: `${ref.kind}/${ref.id}`, user: ctx.state.user }, 'actor restarted by an operator');
    ctx.status = 202;
    ctx.body = { actor: (await s.operator.actor(ref)) ?? { kind: ref.kind, id: ref.id, status: 'restarted' } };
  });
  router.post('/actors/:kind/:id/stop', audited('actor.stop', actorTarget), async (ctx) => {
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
  router.post(
    '/dead-letters/:id/retry',
    audited('dead-letter.retry', (params) => String(params.id)),
    async (ctx) => {
      const id = text(ctx.params.id, 'dead letter id')!;
      const message = await s.operator.retryDeadLetter(id);
      if (!message) throw new AdminError(404, `Dead letter ${id} not found`);
      ctx.status = 202;
      ctx.body = { dead_letter: { id, retried_as: message } };
    },
  );
  router.delete(
    '/dead-letters/:id',
    audited('dead-letter.drop', (params) => String(params.id)),
    async (ctx) => {
      const id = text(ctx.params.id, 'dead letter id')!;
      if (!(await s.operator.dropDeadLetter(id))) throw new AdminError(404, `Dead letter ${id} not found`);
      ctx.status = 204;
    },
  );

  // Compute services: the same state change os-services makes (services/compute/service-state.ts), asked by an operator.
  const servicesOf = () => {
    if (!s.computeServices) throw new AdminError(501, 'Compute services are not available on this node');
    return s.computeServices;
  };
  const changeService = async (ctx: Koa.ParameterizedContext<State>, change: ServiceChange) => {
    const deps = servicesOf();
    const host = text((ctx as unknown as { params: Record<string, string> }).params.host, 'host')!;
    try {
      const row = await changeComputeService(deps, host, change, ctx.state.correlationId);
      ctx.state.log.warn({ host, user: ctx.state.user, change }, 'compute service changed by an operator');
      ctx.body = { service: serviceState(row) };
    } catch (error) {
      if (error instanceof ComputeFault) throw new AdminError(error.status, error.message);
      throw error;
    }
  };
  router.get('/services', async (ctx) => {
    ctx.body = { services: await listComputeServices(servicesOf()) };
  });
  router.post(
    '/services/:host/disable',
    audited('service.disable', (params) => String(params.host)),
    async (ctx) => {
      let body: unknown;
      try {
        body = await readJson(ctx, 4 * 1024);
      } catch (error) {
        const status = (error as { status?: number }).status;
        throw new AdminError(status === 413 ? 413 : 400, (error as Error).message);
      }
      if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body)))
        throw new AdminError(400, 'The body is a JSON object: {"reason": …}');
      const reason = (body as { reason?: unknown } | undefined)?.reason;
      if (reason !== undefined && reason !== null && (typeof reason !== 'string' || reason.length > 255))
        throw new AdminError(400, 'reason must be a string of at most 255 characters');
      await changeService(ctx, { disabled: true, reason: reason || null });
    },
  );
  router.post(
    '/services/:host/enable',
    audited('service.enable', (params) => String(params.host)),
    (ctx) => changeService(ctx, { disabled: false }),
  );

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
  router.post(
    '/nodes/:id/drain',
    audited('node.drain', (params) => String(params.id)),
    (ctx) => {
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
    },
  );

  return router;
}
