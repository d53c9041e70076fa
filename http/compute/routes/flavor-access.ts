import Router from '@koa/router';
import { UniqueConstraintError } from 'sequelize';
import { dbBool } from '../../db-values.js';
import { badRequest, NovaFault, notFound } from '../errors.js';
import { flavorInPath, flavorProjects } from '../flavor-store.js';
import { addTenantAccess, removeTenantAccess } from '../flavor-request.js';
import { checkBody } from '../json-schema.js';
import { authorize, requestBody, type ComputeServices, type ComputeState } from '../services.js';

const POLICY = 'os_compute_api:os-flavor-access';

/** Which projects may use a private flavor: listed, granted and revoked by admins. */
export function flavorAccessRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();
  const accessList = async (id: string) => ({ flavor_access: (await flavorProjects(s, id)).map((tenant_id) => ({ flavor_id: id, tenant_id })) });
  // Nova asks Keystone whether the project exists; so does this, through identity's interface.
  const verifyProject = async (tenant: string) => {
    if (!(await s.identity.projectExists(tenant))) throw badRequest(`Project ID ${tenant} is not a valid project.`);
  };

  router.get('/flavors/:id/os-flavor-access', async (ctx) => {
    authorize(ctx, POLICY, 'admin');
    const flavor = await flavorInPath(s, ctx);
    if (dbBool(flavor.is_public)) throw notFound('Access list not available for public flavors.');
    ctx.body = await accessList(flavor.id);
  });

  router.post('/flavors/:id/action', async (ctx) => {
    const body = await requestBody(ctx);
    const action = body && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body)[0] : undefined;
    if (action === 'addTenantAccess') {
      checkBody(addTenantAccess, body);
      authorize(ctx, `${POLICY}:add_tenant_access`, 'admin');
      const { tenant } = (body as { addTenantAccess: { tenant: string } }).addTenantAccess;
      await verifyProject(tenant);
      const flavor = await flavorInPath(s, ctx);
      if (ctx.state.version.atLeast('2.7') && dbBool(flavor.is_public)) throw new NovaFault(409, 'Can not add access to a public flavor.');
      try {
        await s.models.FlavorProject.create({ flavor_id: flavor.id, project_id: tenant });
      } catch (error) {
        if (error instanceof UniqueConstraintError) {
          throw new NovaFault(409, `Flavor access already exists for flavor ${flavor.id} and project ${tenant} combination.`);
        }
        throw error;
      }
      ctx.body = await accessList(flavor.id);
    } else if (action === 'removeTenantAccess') {
      checkBody(removeTenantAccess, body);
      authorize(ctx, `${POLICY}:remove_tenant_access`, 'admin');
      const { tenant } = (body as { removeTenantAccess: { tenant: string } }).removeTenantAccess;
      await verifyProject(tenant);
      const flavor = await flavorInPath(s, ctx);
      if (!(await s.models.FlavorProject.destroy({ where: { flavor_id: flavor.id, project_id: tenant } }))) {
        throw notFound(`Flavor access not found for ${flavor.id} / ${tenant} combination.`);
      }
      ctx.body = await accessList(flavor.id);
    } else if (action === undefined) {
      throw badRequest('Malformed request body');
    } else {
      throw badRequest(`There is no such action: ${action}`);
    }
  });

  return router;
}
