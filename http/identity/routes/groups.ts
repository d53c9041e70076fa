import Router from '@koa/router';
import { Op } from 'sequelize';
import type { GroupRow } from '../../../models/index.js';
import { readByPk, readRow, readRows } from '../../../models/typed.js';
import { KeystoneError, conflict, notFound } from '../errors.js';
import { requireAdmin, requireAdminOrSelf } from '../policy.js';
import { GroupCreate, GroupUpdate, body } from '../schemas.js';
import { authenticate, domainFor, limited, limitedByName, listWhere, newId, type IdentityServices, type IdentityState } from '../services.js';
import { groupView, list, userView } from '../views.js';

const duplicate = (name: string, domainId: string) => conflict('group', `Duplicate entry found with name ${name} at domain ID ${domainId}`);

/** `/v3/groups` with their members, and `/v3/users/{id}/groups`. Admin manages; a user lists their own groups. */
export function groupRoutes(s: IdentityServices): Router<IdentityState> {
  const router = new Router<IdentityState>({ prefix: '/v3' });
  const { Group, GroupMember, GroupAssignment, User } = s.models;
  const base = () => s.v3Url();
  const now = () => new Date(s.clock.now());
  const find = async (id: string) => {
    const group = await readByPk(Group, id);
    if (!group) throw notFound('group', id);
    return group;
  };
  const user = async (id: string) => {
    const row = await s.directory.user(id);
    if (!row) throw notFound('user', id);
    return row;
  };
  const byName = (name: string, domainId: string) => readRow(Group, { where: { name, domain_id: domainId } });
  const notMember = (userId: string, groupId: string) => new KeystoneError(404, `User '${userId}' not found in group '${groupId}'`);
  // A member leaving a group (or the group going) loses its roles: their tokens issued before are refused, as Keystone revokes them.
  const revoke = async (userIds: string[]) => {
    for (const id of userIds) await s.tokens.revocations.revoke({ user: id, issuedBefore: s.clock.now() });
  };

  router.get('/groups', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    const { rows, truncated } = await limitedByName(s, Group, listWhere(ctx.query, ['name', 'domain_id'], false));
    ctx.body = list(
      base(),
      'groups',
      'groups',
      rows.map((g) => groupView(base(), g)),
      truncated,
    );
  });

  router.post('/groups', async (ctx) => {
    const auth = await authenticate(s, ctx);
    requireAdmin(auth);
    const { group } = await body(ctx, GroupCreate);
    group.name = group.name.trim();
    const domainId = await domainFor(s, auth, group.domain_id);
    if (await byName(group.name, domainId)) throw duplicate(group.name, domainId);
    const row: GroupRow = {
      id: newId(),
      name: group.name,
      domain_id: domainId,
      description: group.description ?? '',
      created_at: now(),
      updated_at: now(),
    };
    await Group.create(row);
    ctx.status = 201;
    ctx.body = { group: groupView(base(), row) };
  });

  router.get('/groups/:id', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    ctx.body = { group: groupView(base(), await find(ctx.params.id)) };
  });

  router.patch('/groups/:id', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    const current = await find(ctx.params.id);
    const { group } = await body(ctx, GroupUpdate);
    if (group.name !== undefined) group.name = group.name.trim();
    if (group.name && group.name !== current.name && (await byName(group.name, current.domain_id))) throw duplicate(group.name, current.domain_id);
    const next: GroupRow = { ...current, ...group, updated_at: now() };
    await Group.update(next, { where: { id: current.id } });
    ctx.body = { group: groupView(base(), next) };
  });

  router.delete('/groups/:id', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    const group = await find(ctx.params.id);
    const members = (await readRows(GroupMember, { where: { group_id: group.id } })).map((m) => m.user_id);
    const hadRoles = (await GroupAssignment.count({ where: { group_id: group.id } })) > 0;
    await Group.sequelize!.transaction(async (transaction) => {
      await GroupAssignment.destroy({ where: { group_id: group.id }, transaction });
      await GroupMember.destroy({ where: { group_id: group.id }, transaction });
      await Group.destroy({ where: { id: group.id }, transaction });
    });
    // Keystone revokes the members' tokens only when the group held roles: otherwise nothing they had changes.
    if (hadRoles) await revoke(members);
    s.directory.changed();
    ctx.status = 204;
  });

  router.get('/groups/:id/users', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    const group = await find(ctx.params.id);
    const where = listWhere(ctx.query, ['name', 'domain_id']);
    const members = readRows(GroupMember, { where: { group_id: group.id }, attributes: ['user_id'] });
    const { rows, truncated } = await limited(s, async (limit) =>
      readRows(User, {
        where: { ...where, id: { [Op.in]: (await members).map((m) => m.user_id) } },
        order: [
          ['name', 'ASC'],
          ['id', 'ASC'],
        ],
        limit,
      }),
    );
    ctx.body = list(
      base(),
      `groups/${group.id}/users`,
      'users',
      rows.map((u) => userView(base(), u)),
      truncated,
    );
  });

  const membership = (p: Record<string, string>) => ({ group_id: p.group, user_id: p.user });
  const checkMember = async (ctx: { params: Record<string, string>; get(h: string): string; status: number }) => {
    requireAdmin(await authenticate(s, ctx));
    await find(ctx.params.group);
    await user(ctx.params.user);
    if (!(await GroupMember.count({ where: membership(ctx.params) }))) throw notMember(ctx.params.user, ctx.params.group);
    ctx.status = 204;
  };
  router.head('/groups/:group/users/:user', checkMember);
  router.get('/groups/:group/users/:user', checkMember);
  router.put('/groups/:group/users/:user', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    await find(ctx.params.group);
    await user(ctx.params.user);
    if (!(await GroupMember.count({ where: membership(ctx.params) }))) await GroupMember.create(membership(ctx.params));
    s.directory.changed();
    ctx.status = 204;
  });
  router.delete('/groups/:group/users/:user', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    await find(ctx.params.group);
    await user(ctx.params.user);
    if (!(await GroupMember.destroy({ where: membership(ctx.params) }))) throw notMember(ctx.params.user, ctx.params.group);
    await revoke([ctx.params.user]);
    s.directory.changed();
    ctx.status = 204;
  });

  router.get('/users/:user/groups', async (ctx) => {
    const auth = await authenticate(s, ctx);
    requireAdminOrSelf(auth, ctx.params.user);
    await user(ctx.params.user);
    const where = listWhere(ctx.query, ['name', 'domain_id'], false);
    const { rows, truncated } = await limitedByName(s, Group, { ...where, id: { [Op.in]: await s.directory.groupsOf(ctx.params.user) } });
    ctx.body = list(
      base(),
      `users/${ctx.params.user}/groups`,
      'groups',
      rows.map((g) => ({ ...groupView(base(), g), membership_expires_at: null })),
      truncated,
    );
  });
  return router;
}
