import Router from '@koa/router';
import { Op } from 'sequelize';
import type { ProjectRow } from '../../../models/index.js';
import { badRequest, conflict, forbidden, notFound } from '../errors.js';
import { requireAdmin } from '../policy.js';
import { ProjectCreate, ProjectUpdate, body } from '../schemas.js';
import { authenticate, domainFor, limitedByName, listWhere, newId, type IdentityServices, type IdentityState } from '../services.js';
import { isEnabled, list, projectView } from '../views.js';

const duplicate = (name: string, domainId: string) => conflict('project', `Duplicate entry found with name ${name} at domain ID ${domainId}`);

export function projectRoutes(s: IdentityServices): Router<IdentityState> {
  const router = new Router<IdentityState>({ prefix: '/v3/projects' });
  const { Project, Assignment, GroupAssignment, ApplicationCredential } = s.models;
  const find = async (id: string) => {
    const project = await s.directory.project(id);
    if (!project) throw notFound('project', id);
    return project;
  };

  router.get('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const where = listWhere(ctx.query, ['name', 'domain_id', 'parent_id']);
    // Without the admin role a user lists only the projects they hold a role on.
    if (!auth.isAdmin) where.id = { [Op.in]: s.directory.assignmentTargets(auth.userId, 'project') };
    const { rows, truncated } = await limitedByName(s, Project, where);
    ctx.body = list(
      s.v3Url(),
      'projects',
      'projects',
      rows.map((p) => projectView(s.v3Url(), p)),
      truncated,
    );
  });

  router.get('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const project = await find(ctx.params.id);
    if (
      !auth.isAdmin &&
      auth.projectId !== project.id &&
      !(await s.directory.effectiveRoles(auth.userId, { type: 'project', id: project.id })).length
    ) {
      throw forbidden();
    }
    ctx.body = { project: projectView(s.v3Url(), project) };
  });

  router.post('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    requireAdmin(auth);
    const { project } = await body(ctx, ProjectCreate);
    project.name = project.name.trim();
    const domainId = await domainFor(s, auth, project.domain_id);
    let parentId: string | null = null;
    if (project.parent_id && project.parent_id !== domainId) {
      const parent = await s.directory.project(project.parent_id);
      if (!parent) throw notFound('project', project.parent_id);
      if (parent.domain_id !== domainId) throw badRequest('Cannot create project, the parent is in a different domain.');
      // One level of nesting is all this cloud keeps.
      if (parent.parent_id) throw forbidden('Projects may be nested one level deep only.');
      parentId = parent.id;
    }
    if (await s.directory.projectByName(project.name, domainId)) throw duplicate(project.name, domainId);
    const now = new Date(s.clock.now());
    const row: ProjectRow = {
      id: newId(),
      name: project.name,
      domain_id: domainId,
      parent_id: parentId,
      // Keystone fills in '' only when none is given; a null given is kept.
      description: project.description === undefined ? '' : project.description,
      enabled: project.enabled ?? true,
      created_at: now,
      updated_at: now,
    };
    await Project.create(row);
    s.directory.changed();
    ctx.status = 201;
    ctx.body = { project: projectView(s.v3Url(), row) };
  });

  router.patch('/:id', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    const current = await find(ctx.params.id);
    const { project } = await body(ctx, ProjectUpdate);
    if (project.name !== undefined) project.name = project.name.trim();
    if (project.name && project.name !== current.name && (await s.directory.projectByName(project.name, current.domain_id))) {
      throw duplicate(project.name, current.domain_id);
    }
    const { tags: _tags, ...changes } = project;
    const next = { ...current, ...changes, updated_at: new Date(s.clock.now()) };
    await Project.update(next, { where: { id: current.id } });
    if (project.enabled === false && isEnabled(current.enabled)) {
      await s.tokens.revocations.revoke({ project: current.id, issuedBefore: s.clock.now() });
    }
    s.directory.changed();
    ctx.body = { project: projectView(s.v3Url(), next) };
  });

  router.delete('/:id', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    const project = await find(ctx.params.id);
    if (await Project.count({ where: { parent_id: project.id } })) {
      throw forbidden(`Cannot delete the project ${project.id} since it is not a leaf in the hierarchy.`);
    }
    await Project.sequelize!.transaction(async (transaction) => {
      await Assignment.destroy({ where: { target_type: 'project', target_id: project.id }, transaction });
      await GroupAssignment.destroy({ where: { target_type: 'project', target_id: project.id }, transaction });
      await ApplicationCredential.destroy({ where: { project_id: project.id }, transaction });
      await Project.destroy({ where: { id: project.id }, transaction });
    });
    await s.tokens.revocations.revoke({ project: project.id, issuedBefore: s.clock.now() });
    s.directory.changed();
    ctx.status = 204;
  });
  return router;
}
