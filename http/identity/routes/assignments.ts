import Router from '@koa/router';
import type { AssignmentRow } from '../../../models/index.js';
import { readRows } from '../../../models/typed.js';
import { forbidden, notFound } from '../errors.js';
import { requireAdmin } from '../policy.js';
import { authenticate, filter, limited, type IdentityServices, type IdentityState } from '../services.js';
import { list, roleView } from '../views.js';

type Target = 'project' | 'domain';

/** Role assignments on projects and domains, and the `/v3/role_assignments` query. */
export function assignmentRoutes(s: IdentityServices): Router<IdentityState> {
  const router = new Router<IdentityState>({ prefix: '/v3' });
  const { Assignment } = s.models;

  const resolve = async (type: Target, targetId: string, userId: string, roleId?: string) => {
    const target = type === 'project' ? await s.directory.project(targetId) : await s.directory.domain(targetId);
    if (!target) throw notFound(type, targetId);
    if (!(await s.directory.user(userId))) throw notFound('user', userId);
    if (roleId !== undefined && !(await s.directory.roles()).byId.has(roleId)) throw notFound('role', roleId);
  };

  for (const type of ['project', 'domain'] as const) {
    const path = `/${type}s/:target/users/:user/roles`;
    const key = (p: Record<string, string>) => ({ user_id: p.user, target_type: type, target_id: p.target, role_id: p.role });

    router.put(`${path}/:role`, async (ctx) => {
      requireAdmin(await authenticate(s, ctx));
      await resolve(type, ctx.params.target, ctx.params.user, ctx.params.role);
      if (!(await Assignment.findOne({ where: key(ctx.params) }))) await Assignment.create(key(ctx.params));
      s.directory.changed();
      ctx.status = 204;
    });
    router.head(`${path}/:role`, async (ctx) => {
      requireAdmin(await authenticate(s, ctx));
      await resolve(type, ctx.params.target, ctx.params.user, ctx.params.role);
      if (!(await Assignment.findOne({ where: key(ctx.params) }))) throw notFound('role assignment', ctx.params.role);
      ctx.status = 204;
    });
    router.get(`${path}/:role`, async (ctx) => {
      requireAdmin(await authenticate(s, ctx));
      await resolve(type, ctx.params.target, ctx.params.user, ctx.params.role);
      if (!(await Assignment.findOne({ where: key(ctx.params) }))) throw notFound('role assignment', ctx.params.role);
      ctx.status = 204;
    });
    router.delete(`${path}/:role`, async (ctx) => {
      requireAdmin(await authenticate(s, ctx));
      await resolve(type, ctx.params.target, ctx.params.user, ctx.params.role);
      const removed = await Assignment.destroy({ where: key(ctx.params) });
      if (!removed) throw notFound('role assignment', ctx.params.role);
      s.directory.changed();
      ctx.status = 204;
    });
    router.get(path, async (ctx) => {
      const auth = await authenticate(s, ctx);
      if (!auth.isAdmin && auth.userId !== ctx.params.user) throw forbidden();
      await resolve(type, ctx.params.target, ctx.params.user);
      const rows = await s.directory.assignments({ user_id: ctx.params.user, target_type: type, target_id: ctx.params.target });
      const { byId } = await s.directory.roles();
      const roles = rows
        .map((a) => byId.get(a.role_id))
        .filter((r) => !!r)
        .map((r) => roleView(s.v3Url(), r));
      ctx.body = list(s.v3Url(), `${type}s/${ctx.params.target}/users/${ctx.params.user}/roles`, 'roles', roles);
    });
  }

  router.get('/role_assignments', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const where: Partial<AssignmentRow> = {};
    const userId = filter(ctx.query['user.id']);
    const projectId = filter(ctx.query['scope.project.id']);
    const domainId = filter(ctx.query['scope.domain.id']);
    const roleId = filter(ctx.query['role.id']);
    if (userId) where.user_id = userId;
    if (projectId) Object.assign(where, { target_type: 'project', target_id: projectId });
    if (domainId) Object.assign(where, { target_type: 'domain', target_id: domainId });
    // A user may list their own assignments; everything else takes the admin role.
    if (!auth.isAdmin && where.user_id !== auth.userId) throw forbidden();
    const expand = ctx.query.effective !== undefined;
    // With `effective` the role filter applies to the implied roles too, so after the expansion.
    if (roleId && !expand) where.role_id = roleId;
    let { rows, truncated } = await limited(s, (limit) =>
      readRows(Assignment, {
        where,
        order: [
          ['user_id', 'ASC'],
          ['target_type', 'ASC'],
          ['target_id', 'ASC'],
          ['role_id', 'ASC'],
        ],
        limit,
      }),
    );
    if (expand) {
      rows = await effective(s, rows);
      if (roleId) rows = rows.filter((a) => a.role_id === roleId);
      if (rows.length > s.listLimit) [rows, truncated] = [rows.slice(0, s.listLimit), true];
    }
    const names = ctx.query.include_names !== undefined && !['false', '0', 'False'].includes(String(ctx.query.include_names));
    const views = await Promise.all(rows.map((a) => assignmentView(s, a, names)));
    ctx.body = list(s.v3Url(), 'role_assignments', 'role_assignments', views, truncated);
  });
  return router;
}

/** Expands each assignment with the roles its role implies, as Keystone's `effective` does. */
async function effective(s: IdentityServices, rows: AssignmentRow[]): Promise<AssignmentRow[]> {
  const out = new Map<string, AssignmentRow>();
  for (const a of rows) {
    for (const role of await s.directory.expand([a.role_id])) {
      const row = { ...a, role_id: role.id };
      out.set(`${row.user_id}/${row.target_type}/${row.target_id}/${row.role_id}`, row);
    }
  }
  return [...out.values()];
}

async function assignmentView(s: IdentityServices, a: AssignmentRow, names: boolean) {
  const base = s.v3Url();
  const role = (await s.directory.roles()).byId.get(a.role_id);
  const user = names ? await s.directory.user(a.user_id) : undefined;
  const target = names ? (a.target_type === 'project' ? await s.directory.project(a.target_id) : await s.directory.domain(a.target_id)) : undefined;
  const domainOf = async (id: string | undefined) => {
    const d = id ? await s.directory.domain(id) : undefined;
    return d ? { id: d.id, name: d.name } : undefined;
  };
  return {
    role: names ? { id: a.role_id, name: role?.name } : { id: a.role_id },
    user: names ? { id: a.user_id, name: user?.name, domain: await domainOf(user?.domain_id) } : { id: a.user_id },
    scope: {
      [a.target_type]: names
        ? {
            id: a.target_id,
            name: target?.name,
            ...(a.target_type === 'project' ? { domain: await domainOf((target as { domain_id?: string })?.domain_id) } : {}),
          }
        : { id: a.target_id },
    },
    links: { assignment: `${base}/${a.target_type}s/${a.target_id}/users/${a.user_id}/roles/${a.role_id}` },
  };
}
