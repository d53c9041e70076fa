import Router from '@koa/router';
import type { UserRow } from '../../../models/index.js';
import { conflict, forbidden, notFound, unauthorized } from '../errors.js';
import { hashPassword } from '../passwords.js';
import { requireAdmin, requireAdminOrSelf } from '../policy.js';
import { PasswordChange, UserCreate, UserUpdate, body } from '../schemas.js';
import { authenticate, domainFor, limitedByName, listWhere, newId, type IdentityServices, type IdentityState } from '../services.js';
import { isEnabled, list, projectView, userView } from '../views.js';

const duplicate = (name: string, domainId: string) => conflict('user', `Duplicate entry found with name ${name} at domain ID ${domainId}`);

export function userRoutes(s: IdentityServices): Router<IdentityState> {
  const router = new Router<IdentityState>({ prefix: '/v3/users' });
  const { User, Assignment, Ec2Credential, GroupMember, ApplicationCredential } = s.models;
  const find = async (id: string) => {
    const user = await s.directory.user(id);
    if (!user) throw notFound('user', id);
    return user;
  };
  const revokeUser = (id: string) => s.tokens.revocations.revoke({ user: id, issuedBefore: s.clock.now() });

  router.get('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const where = listWhere(ctx.query, ['name', 'domain_id']);
    if (!auth.isAdmin) where.id = auth.userId;
    const { rows, truncated } = await limitedByName(s, User, where);
    ctx.body = list(
      s.v3Url(),
      'users',
      'users',
      rows.map((u) => userView(s.v3Url(), u)),
      truncated,
    );
  });

  router.get('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const user = await find(ctx.params.id);
    requireAdminOrSelf(auth, user.id);
    ctx.body = { user: userView(s.v3Url(), user) };
  });

  router.post('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    requireAdmin(auth);
    const { user } = await body(ctx, UserCreate);
    user.name = user.name.trim();
    const domainId = await domainFor(s, auth, user.domain_id);
    if (user.default_project_id && !(await s.directory.project(user.default_project_id))) throw notFound('project', user.default_project_id);
    if (await s.directory.userByName(user.name, domainId)) throw duplicate(user.name, domainId);
    const now = new Date(s.clock.now());
    const row: UserRow = {
      id: newId(),
      name: user.name,
      domain_id: domainId,
      default_project_id: user.default_project_id ?? null,
      description: user.description ?? null,
      email: user.email ?? null,
      enabled: user.enabled ?? true,
      password_hash: user.password ? await hashPassword(user.password) : null,
      created_at: now,
      updated_at: now,
    };
    await User.create(row);
    s.directory.changed();
    ctx.status = 201;
    ctx.body = { user: userView(s.v3Url(), row) };
  });

  router.patch('/:id', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    const current = await find(ctx.params.id);
    const { user } = await body(ctx, UserUpdate);
    if (user.name !== undefined) user.name = user.name.trim();
    if (user.name && user.name !== current.name && (await s.directory.userByName(user.name, current.domain_id))) {
      throw duplicate(user.name, current.domain_id);
    }
    if (user.default_project_id && !(await s.directory.project(user.default_project_id))) throw notFound('project', user.default_project_id);
    const { password, options: _options, ...changes } = user;
    const next: UserRow = { ...current, ...changes, updated_at: new Date(s.clock.now()) };
    if (password !== undefined) next.password_hash = password ? await hashPassword(password) : null;
    await User.update(next, { where: { id: current.id } });
    // A disabled user, or one whose password an admin reset, keeps no token.
    if (password !== undefined || (user.enabled === false && isEnabled(current.enabled))) await revokeUser(current.id);
    s.directory.changed();
    ctx.body = { user: userView(s.v3Url(), next) };
  });

  router.delete('/:id', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    const user = await find(ctx.params.id);
    await User.sequelize!.transaction(async (transaction) => {
      await Assignment.destroy({ where: { user_id: user.id }, transaction });
      await Ec2Credential.destroy({ where: { user_id: user.id }, transaction });
      await GroupMember.destroy({ where: { user_id: user.id }, transaction });
      await ApplicationCredential.destroy({ where: { user_id: user.id }, transaction });
      await User.destroy({ where: { id: user.id }, transaction });
    });
    await revokeUser(user.id);
    s.directory.changed();
    ctx.status = 204;
  });

  router.post('/:id/password', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const user = await find(ctx.params.id);
    if (auth.userId !== user.id) throw forbidden('You can only change your own password.');
    const { user: change } = await body(ctx, PasswordChange);
    if (!(await s.verifyPassword(change.original_password, user.password_hash))) throw unauthorized();
    await User.update({ password_hash: await hashPassword(change.password), updated_at: new Date(s.clock.now()) }, { where: { id: user.id } });
    await revokeUser(user.id);
    s.directory.changed();
    ctx.status = 204;
  });

  router.get('/:id/projects', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const user = await find(ctx.params.id);
    requireAdminOrSelf(auth, user.id);
    const projects = await s.directory.projectsOf(user.id);
    ctx.body = list(
      s.v3Url(),
      `users/${user.id}/projects`,
      'projects',
      projects.map((p) => projectView(s.v3Url(), p)),
    );
  });
  return router;
}
