import Router from '@koa/router';
import type { AssignmentRow } from '../../../models/index.js';
import { Op } from 'sequelize';
import { readByPk, readRows } from '../../../models/typed.js';
import { forbidden, notFound } from '../errors.js';
import { requireAdmin } from '../policy.js';
import { authenticate, filter, type IdentityServices, type IdentityState } from '../services.js';
import { list, roleView } from '../views.js';

type Target = 'project' | 'domain';

/** Role assignments on projects and domains, and the `/v3/role_assignments` query. */
export function assignmentRoutes(s: IdentityServices): Router<IdentityState> {
  const router = new Router<IdentityState>({ prefix: '/v3' });
  const { Assignment, GroupAssignment, Group: GroupModel } = s.models;

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

  // Roles of groups on projects and domains: every member holds them there.
  for (const type of ['project', 'domain'] as const) {
    const path = `/${type}s/:target/groups/:group/roles`;
    const key = (p: Record<string, string>) => ({ group_id: p.group, target_type: type, target_id: p.target, role_id: p.role });
    const resolveGroup = async (p: Record<string, string>, withRole = true) => {
      const target = type === 'project' ? await s.directory.project(p.target) : await s.directory.domain(p.target);
      if (!target) throw notFound(type, p.target);
      if (!(await GroupModel.count({ where: { id: p.group } }))) throw notFound('group', p.group);
      if (withRole && !(await s.directory.roles()).byId.has(p.role)) throw notFound('role', p.role);
    };
    const check = async (ctx: { params: Record<string, string>; get(h: string): string; status: number }) => {
      requireAdmin(await authenticate(s, ctx));
      await resolveGroup(ctx.params);
      if (!(await GroupAssignment.count({ where: key(ctx.params) }))) throw notFound('role assignment', ctx.params.role);
      ctx.status = 204;
    };
    router.put(`${path}/:role`, async (ctx) => {
      requireAdmin(await authenticate(s, ctx));
      await resolveGroup(ctx.params);
      if (!(await GroupAssignment.count({ where: key(ctx.params) }))) await GroupAssignment.create(key(ctx.params));
      s.directory.changed();
      ctx.status = 204;
    });
    router.head(`${path}/:role`, check);
    router.get(`${path}/:role`, check);
    router.delete(`${path}/:role`, async (ctx) => {
      requireAdmin(await authenticate(s, ctx));
      await resolveGroup(ctx.params);
      if (!(await GroupAssignment.destroy({ where: key(ctx.params) }))) throw notFound('role assignment', ctx.params.role);
      s.directory.changed();
      ctx.status = 204;
    });
    router.get(path, async (ctx) => {
      requireAdmin(await authenticate(s, ctx));
      await resolveGroup(ctx.params, false);
      const rows = await readRows(GroupAssignment, { where: { group_id: ctx.params.group, target_type: type, target_id: ctx.params.target } });
      const { byId } = await s.directory.roles();
      const roles = rows
        .map((a) => byId.get(a.role_id))
        .filter((r) => !!r)
        .map((r) => roleView(s.v3Url(), r));
      ctx.body = list(s.v3Url(), `${type}s/${ctx.params.target}/groups/${ctx.params.group}/roles`, 'roles', roles);
    });
  }

  router.get('/role_assignments', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const query = {
      userId: filter(ctx.query['user.id']),
      groupId: filter(ctx.query['group.id']),
      projectId: filter(ctx.query['scope.project.id']),
      domainId: filter(ctx.query['scope.domain.id']),
      roleId: filter(ctx.query['role.id']),
      effective: ctx.query.effective !== undefined,
    };
    // A user may list their own assignments; everything else takes the admin role.
    if (!auth.isAdmin && (query.userId !== auth.userId || query.groupId)) throw forbidden();
    let { rows, truncated } = await assignmentsFor(s, query);
    if (query.effective) {
      rows = await implied(s, rows);
      // With `effective` the role filter applies to the implied roles too, so after the expansion.
      if (query.roleId) rows = rows.filter((a) => a.role_id === query.roleId);
    }
    if (rows.length > s.listLimit) [rows, truncated] = [rows.slice(0, s.listLimit), true];
    const names = ctx.query.include_names !== undefined && !['false', '0', 'False'].includes(String(ctx.query.include_names));
    const views = await Promise.all(rows.map((a) => assignmentView(s, a, names)));
    ctx.body = list(s.v3Url(), 'role_assignments', 'role_assignments', views, truncated);
  });
  return router;
}

/** One row of `/v3/role_assignments`: a user's or a group's role, or (effective) a user's role through a group. */
interface Entry {
  user_id?: string;
  group_id?: string;
  /** The group a user holds this role through (effective lists only). */
  via?: string;
  target_type: 'project' | 'domain';
  target_id: string;
  role_id: string;
}

interface AssignmentQuery {
  userId?: string;
  groupId?: string;
  projectId?: string;
  domainId?: string;
  roleId?: string;
  effective: boolean;
}

const ORDER: Array<[string, string]> = [
  ['target_type', 'ASC'],
  ['target_id', 'ASC'],
  ['role_id', 'ASC'],
];

/**
 * The assignments a query asks for, each table read with the list limit. Without `effective`, users' and groups'
 * own assignments; with it, groups' assignments stand for each of their members, as Keystone expands them.
 */
async function assignmentsFor(s: IdentityServices, q: AssignmentQuery): Promise<{ rows: Entry[]; truncated: boolean }> {
  const target: Partial<AssignmentRow> = {};
  if (q.projectId) Object.assign(target, { target_type: 'project', target_id: q.projectId });
  if (q.domainId) Object.assign(target, { target_type: 'domain', target_id: q.domainId });
  if (q.roleId && !q.effective) target.role_id = q.roleId;
  let truncated = false;
  const read = async <T>(rows: Promise<T[]>) => {
    const got = await rows;
    if (got.length > s.listLimit) truncated = true;
    return got.slice(0, s.listLimit);
  };
  const limit = s.listLimit + 1;
  const rows: Entry[] = [];
  if (!q.groupId || q.effective) {
    const direct = q.groupId
      ? []
      : await read(
          readRows(s.models.Assignment, {
            where: { ...target, ...(q.userId ? { user_id: q.userId } : {}) },
            order: [['user_id', 'ASC'], ...ORDER],
            limit,
          }),
        );
    rows.push(...direct);
  }
  if (!q.effective && !q.userId) {
    const groups = await read(
      readRows(s.models.GroupAssignment, {
        where: { ...target, ...(q.groupId ? { group_id: q.groupId } : {}) },
        order: [['group_id', 'ASC'], ...ORDER],
        limit,
      }),
    );
    rows.push(...groups);
  }
  if (q.effective) {
    const groupIds = q.groupId ? [q.groupId] : q.userId ? await s.directory.groupsOf(q.userId) : undefined;
    if (groupIds === undefined || groupIds.length) {
      const held = await read(
        readRows(s.models.GroupAssignment, {
          where: { ...target, ...(groupIds ? { group_id: { [Op.in]: groupIds } } : {}) },
          order: [['group_id', 'ASC'], ...ORDER],
          limit,
        }),
      );
      const ids = [...new Set(held.map((a) => a.group_id))];
      const members = ids.length
        ? await read(
            readRows(s.models.GroupMember, {
              where: { group_id: { [Op.in]: ids }, ...(q.userId ? { user_id: q.userId } : {}) },
              order: [
                ['group_id', 'ASC'],
                ['user_id', 'ASC'],
              ],
              limit,
            }),
          )
        : [];
      for (const a of held) {
        for (const m of members)
          if (m.group_id === a.group_id)
            rows.push({ user_id: m.user_id, via: a.group_id, target_type: a.target_type, target_id: a.target_id, role_id: a.role_id });
      }
    }
  }
  return { rows, truncated };
}

/** Adds to each assignment the roles its role implies, as Keystone's `effective` does. */
async function implied(s: IdentityServices, rows: Entry[]): Promise<Entry[]> {
  const out = new Map<string, Entry>();
  for (const a of rows) {
    for (const role of await s.directory.expand([a.role_id])) {
      const row = { ...a, role_id: role.id };
      out.set(`${row.user_id}/${row.group_id}/${row.via}/${row.target_type}/${row.target_id}/${row.role_id}`, row);
    }
  }
  return [...out.values()];
}

async function assignmentView(s: IdentityServices, a: Entry, names: boolean) {
  const base = s.v3Url();
  const role = (await s.directory.roles()).byId.get(a.role_id);
  const target = names ? (a.target_type === 'project' ? await s.directory.project(a.target_id) : await s.directory.domain(a.target_id)) : undefined;
  const domainOf = async (id: string | undefined) => {
    const d = id ? await s.directory.domain(id) : undefined;
    return d ? { id: d.id, name: d.name } : undefined;
  };
  const group = a.group_id ?? a.via;
  let actor: Record<string, unknown>;
  if (a.user_id) {
    const user = names ? await s.directory.user(a.user_id) : undefined;
    actor = { user: names ? { id: a.user_id, name: user?.name, domain: await domainOf(user?.domain_id) } : { id: a.user_id } };
  } else {
    const row = names ? await readByPk(s.models.Group, a.group_id!) : undefined;
    actor = { group: names ? { id: a.group_id, name: row?.name, domain: await domainOf(row?.domain_id) } : { id: a.group_id } };
  }
  const scope = `${a.target_type}s/${a.target_id}`;
  return {
    role: names ? { id: a.role_id, name: role?.name } : { id: a.role_id },
    ...actor,
    scope: {
      [a.target_type]: names
        ? {
            id: a.target_id,
            name: target?.name,
            ...(a.target_type === 'project' ? { domain: await domainOf((target as { domain_id?: string })?.domain_id) } : {}),
          }
        : { id: a.target_id },
    },
    links: group
      ? {
          assignment: `${base}/${scope}/groups/${group}/roles/${a.role_id}`,
          ...(a.via ? { membership: `${base}/groups/${a.via}/users/${a.user_id}` } : {}),
        }
      : { assignment: `${base}/${scope}/users/${a.user_id}/roles/${a.role_id}` },
  };
}
