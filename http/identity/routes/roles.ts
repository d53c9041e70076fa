import Router from '@koa/router';
import type { RoleRow } from '../../../models/index.js';
import { conflict, notFound } from '../errors.js';
import { requireAdmin } from '../policy.js';
import { RoleCreate, RoleUpdate, body } from '../schemas.js';
import { authenticate, filter, limited, newId, type IdentityServices, type IdentityState } from '../services.js';
import { list, roleView } from '../views.js';

export function roleRoutes(s: IdentityServices): Router<IdentityState> {
  const router = new Router<IdentityState>({ prefix: '/v3' });
  const { Role, ImpliedRole, Assignment, GroupAssignment } = s.models;
  const find = async (id: string) => {
    const role = (await s.directory.roles()).byId.get(id);
    if (!role) throw notFound('role', id);
    return role;
  };

  router.get('/roles', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    const name = filter(ctx.query.name);
    // Roles come from the directory's cache of the (small) roles table, so only the answer is limited.
    const { rows: roles, truncated } = await limited(s, async (limit) =>
      [...(await s.directory.roles()).byId.values()]
        .filter((r) => name === undefined || r.name === name)
        .sort((a, b) => a.name.localeCompare(b.name))
        .slice(0, limit),
    );
    ctx.body = list(
      s.v3Url(),
      'roles',
      'roles',
      roles.map((r) => roleView(s.v3Url(), r)),
      truncated,
    );
  });

  router.get('/roles/:id', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    ctx.body = { role: roleView(s.v3Url(), await find(ctx.params.id)) };
  });

  router.post('/roles', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    const { role } = await body(ctx, RoleCreate);
    if ([...(await s.directory.roles()).byId.values()].some((r) => r.name === role.name)) {
      throw conflict('role', `Duplicate entry found with name ${role.name}`);
    }
    const now = new Date(s.clock.now());
    const row: RoleRow = { id: newId(), name: role.name, description: role.description ?? null, created_at: now, updated_at: now };
    await Role.create(row);
    s.directory.changed();
    ctx.status = 201;
    ctx.body = { role: roleView(s.v3Url(), row) };
  });

  router.patch('/roles/:id', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    const current = await find(ctx.params.id);
    const { role } = await body(ctx, RoleUpdate);
    const next = { ...current, ...role, updated_at: new Date(s.clock.now()) };
    await Role.update(next, { where: { id: current.id } });
    s.directory.changed();
    ctx.body = { role: roleView(s.v3Url(), next) };
  });

  router.delete('/roles/:id', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    const role = await find(ctx.params.id);
    await Role.sequelize!.transaction(async (transaction) => {
      await Assignment.destroy({ where: { role_id: role.id }, transaction });
      await GroupAssignment.destroy({ where: { role_id: role.id }, transaction });
      await ImpliedRole.destroy({ where: { prior_role_id: role.id }, transaction });
      await ImpliedRole.destroy({ where: { implied_role_id: role.id }, transaction });
      await Role.destroy({ where: { id: role.id }, transaction });
    });
    s.directory.changed();
    ctx.status = 204;
  });

  router.get('/role_inferences', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    const { byId, implies } = await s.directory.roles();
    const brief = (r: RoleRow) => ({ id: r.id, name: r.name, links: { self: `${s.v3Url()}/roles/${r.id}` } });
    ctx.body = {
      role_inferences: [...implies].map(([prior, implied]) => ({
        prior_role: brief(byId.get(prior)!),
        implies: implied.map((id) => brief(byId.get(id)!)),
      })),
      links: { self: `${s.v3Url()}/role_inferences`, previous: null, next: null },
    };
  });
  return router;
}
