import Router from '@koa/router';
import { Op } from 'sequelize';
import { readRows } from '../../../models/typed.js';
import { conflict, forbidden, notFound } from '../errors.js';
import { requireAdmin } from '../policy.js';
import { DomainCreate, DomainUpdate, body } from '../schemas.js';
import { authenticate, limitedByName, listWhere, newId, type IdentityServices, type IdentityState } from '../services.js';
import { domainView, isEnabled, list } from '../views.js';

export function domainRoutes(s: IdentityServices): Router<IdentityState> {
  const router = new Router<IdentityState>({ prefix: '/v3/domains' });
  const { Domain, Project, User, Assignment, Group, GroupMember, GroupAssignment, ApplicationCredential } = s.models;
  const find = async (id: string) => {
    const domain = await s.directory.domain(id);
    if (!domain) throw notFound('domain', id);
    return domain;
  };

  router.get('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const where = listWhere(ctx.query, ['name']);
    // Without the admin role a user sees the domains of their own projects and users.
    if (!auth.isAdmin) {
      Object.assign(where, {
        [Op.or]: [
          { id: (await s.directory.user(auth.userId))?.domain_id ?? null },
          { id: { [Op.in]: s.directory.domainsOfProjectsOf(auth.userId) } },
        ],
      });
    }
    const { rows, truncated } = await limitedByName(s, Domain, where);
    ctx.body = list(
      s.v3Url(),
      'domains',
      'domains',
      rows.map((d) => domainView(s.v3Url(), d)),
      truncated,
    );
  });

  router.get('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const domain = await find(ctx.params.id);
    if (!auth.isAdmin && (await s.directory.user(auth.userId))?.domain_id !== domain.id && auth.domainId !== domain.id) throw forbidden();
    ctx.body = { domain: domainView(s.v3Url(), domain) };
  });

  router.post('/', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    const { domain } = await body(ctx, DomainCreate);
    domain.name = domain.name.trim();
    if (await s.directory.domainByName(domain.name)) throw conflict('domain', `Duplicate entry found with name ${domain.name}`);
    const now = new Date(s.clock.now());
    const row = {
      id: newId(),
      name: domain.name,
      // Keystone fills in '' only when none is given; a null given is kept.
      description: domain.description === undefined ? '' : domain.description,
      enabled: domain.enabled ?? true,
      created_at: now,
      updated_at: now,
    };
    await Domain.create(row);
    s.directory.changed();
    ctx.status = 201;
    ctx.body = { domain: domainView(s.v3Url(), row) };
  });

  router.patch('/:id', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    const current = await find(ctx.params.id);
    const { domain } = await body(ctx, DomainUpdate);
    if (domain.name !== undefined) domain.name = domain.name.trim();
    if (domain.name && domain.name !== current.name && (await s.directory.domainByName(domain.name))) {
      throw conflict('domain', `Duplicate entry found with name ${domain.name}`);
    }
    const next = { ...current, ...domain, updated_at: new Date(s.clock.now()) };
    await Domain.update(next, { where: { id: current.id } });
    if (domain.enabled === false) await revokeDomain(s, current.id);
    s.directory.changed();
    ctx.body = { domain: domainView(s.v3Url(), next) };
  });

  router.delete('/:id', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    const domain = await find(ctx.params.id);
    if (isEnabled(domain.enabled)) throw forbidden('Cannot delete a domain that is enabled, please disable it first.');
    await Domain.sequelize!.transaction(async (transaction) => {
      const projects = (await readRows(Project, { where: { domain_id: domain.id }, transaction })).map((p) => p.id);
      const users = (await readRows(User, { where: { domain_id: domain.id }, transaction })).map((u) => u.id);
      await Assignment.destroy({ where: { target_type: 'project', target_id: projects }, transaction });
      await Assignment.destroy({ where: { target_type: 'domain', target_id: domain.id }, transaction });
      await Assignment.destroy({ where: { user_id: users }, transaction });
      const groups = (await readRows(Group, { where: { domain_id: domain.id }, transaction })).map((g) => g.id);
      await GroupAssignment.destroy({ where: { target_type: 'project', target_id: projects }, transaction });
      await GroupAssignment.destroy({ where: { target_type: 'domain', target_id: domain.id }, transaction });
      await GroupAssignment.destroy({ where: { group_id: groups }, transaction });
      await GroupMember.destroy({ where: { group_id: groups }, transaction });
      await GroupMember.destroy({ where: { user_id: users }, transaction });
      await Group.destroy({ where: { domain_id: domain.id }, transaction });
      await ApplicationCredential.destroy({ where: { user_id: users }, transaction });
      await ApplicationCredential.destroy({ where: { project_id: projects }, transaction });
      await Project.destroy({ where: { domain_id: domain.id }, transaction });
      await User.destroy({ where: { domain_id: domain.id }, transaction });
      await Domain.destroy({ where: { id: domain.id }, transaction });
    });
    s.directory.changed();
    ctx.status = 204;
  });
  return router;
}

/** A disabled domain's users and projects can use no token issued before. */
async function revokeDomain(s: IdentityServices, domainId: string): Promise<void> {
  const now = s.clock.now();
  for (const u of await readRows(s.models.User, { where: { domain_id: domainId } })) {
    await s.tokens.revocations.revoke({ user: u.id, issuedBefore: now });
  }
  for (const p of await readRows(s.models.Project, { where: { domain_id: domainId } })) {
    await s.tokens.revocations.revoke({ project: p.id, issuedBefore: now });
  }
}
