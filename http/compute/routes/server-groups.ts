import Router from '@koa/router';
import { checkBody, checkQuery } from '../json-schema.js';
import type { Microversion } from '../microversion.js';
import { lastOf } from '../nova-values.js';
import { MAX_LIMIT } from '../pagination.js';
import { createServerGroupSchema, listServerGroupsQuery } from '../schemas/server-groups.js';
import { badRequest } from '../errors.js';
import { requestBody, type ComputeContext, type ComputeServices, type ComputeState } from '../services.js';
import {
  createServerGroup,
  deleteServerGroup,
  listServerGroups,
  showServerGroup,
  type ServerGroup,
} from '../../../services/compute/server-groups.js';

/** A group as Nova's view shows it: `policies` and an empty `metadata` before 2.64, `policy` and `rules` from it; owners from 2.13. */
function view(g: ServerGroup, v: Microversion) {
  const rules = JSON.parse(g.rules) as Record<string, unknown>;
  return {
    id: g.uuid,
    name: g.name,
    ...(v.atLeast('2.64') ? { policy: g.policy, rules } : { policies: [g.policy], metadata: {} }),
    members: g.members,
    ...(v.atLeast('2.13') ? { project_id: g.project_id, user_id: g.user_id } : {}),
  };
}

const caller = (ctx: ComputeContext) => ctx.state;

/** Nova's common.limited: offset and limit as integers, the page at most MAX_LIMIT. */
function page(ctx: ComputeContext) {
  const int = (name: string) => {
    const raw = lastOf(ctx.query[name]);
    if (raw === undefined) return undefined;
    if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw badRequest(`${name} param must be an integer`);
    const n = Number(raw);
    if (n < 0) throw badRequest(`${name} param must be positive`);
    // Python takes any size; past what SQL takes, the page is empty anyway.
    return Math.min(n, Number.MAX_SAFE_INTEGER);
  };
  return { offset: int('offset') ?? 0, limit: Math.min(int('limit') ?? MAX_LIMIT, MAX_LIMIT) };
}

/** os-server-groups: list, create, show, delete. */
export function serverGroupRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>({ prefix: '/os-server-groups' });
  router.get('/', async (ctx) => {
    const v = ctx.state.version;
    checkQuery(listServerGroupsQuery(v), ctx.query);
    const groups = await listServerGroups(s, caller(ctx), { allProjects: 'all_projects' in ctx.query, ...page(ctx) });
    ctx.body = { server_groups: groups.map((g) => view(g, v)) };
  });
  router.post('/', async (ctx) => {
    const v = ctx.state.version;
    const body = await requestBody(ctx);
    checkBody(createServerGroupSchema(v), body);
    const asked = (
      body as { server_group: { name: string; policy?: string; policies?: string[]; rules?: { max_server_per_host?: string | number } } }
    ).server_group;
    const policy = asked.policy ?? asked.policies![0];
    const rules = asked.rules ?? {};
    if (v.atLeast('2.64') && policy !== 'anti-affinity' && Object.keys(rules).length) throw badRequest('Only anti-affinity policy supports rules.');
    const group = await createServerGroup(s, caller(ctx), {
      name: asked.name,
      policy,
      rules: rules.max_server_per_host === undefined ? {} : { max_server_per_host: Number(rules.max_server_per_host) },
    });
    ctx.body = { server_group: view(group, v) };
  });
  router.get('/:id', async (ctx) => {
    ctx.body = { server_group: view(await showServerGroup(s, caller(ctx), ctx.params.id), ctx.state.version) };
  });
  router.delete('/:id', async (ctx) => {
    await deleteServerGroup(s, caller(ctx), ctx.params.id);
    ctx.status = 204;
  });
  return router;
}
