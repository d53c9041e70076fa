import Router from '@koa/router';
import { randomUUID } from 'node:crypto';
import { UniqueConstraintError } from 'sequelize';
import type { NeutronAutoAllocatedTopologyRow, NeutronNetworkRow, NeutronRouterRow, NeutronSubnetRow } from '../../../models/index.js';
import { readRow, readRows } from '../../../models/typed.js';
import type { AuthContext } from '../../identity/index.js';
import { answered } from '../actors.js';
import { badResourceRequest, conflict, NeutronError } from '../errors.js';
import { authenticate, now, type NetworkServices, type NetworkState } from '../services.js';
import { cidrString, defaultGateway, defaultPools, subnetCidrOf } from '../subnet-rules.js';
import { fieldsOf, rowPayload } from './networks.js';

/**
 * The default subnet pool auto-allocation draws from: Stratus serves no subnet pools, so this one is implicit —
 * a /26 for each project's topology, the first not taken by another auto-allocated subnet.
 */
export const DEFAULT_POOL = { prefix: '10.128.0.0/16', prefixLength: 26 };

const failure = (reason: string) => conflict('AutoAllocationFailure', `Deployment error: ${reason}.`);

/** The project a request names: `None` means the caller's (as clients send it); another's is the admin's alone. */
function projectOf(auth: AuthContext, asked: string): string {
  const project = asked === 'None' ? (auth.projectId ?? '') : asked;
  if (!auth.isAdmin && project !== auth.projectId) throw new NeutronError(403, 'NotAuthorized', 'Not authorized.');
  return project;
}

const answer = (networkId: string, project: string) => ({ auto_allocated_topology: { id: networkId, tenant_id: project, project_id: project } });

/** `/v2.0/auto-allocated-topology/{project_id}`: Neutron's "get me a network", what Nova's `networks: auto` asks for. */
/** How a project's topology is made (network, subnet, router to the default external network), for the API and for Nova's `auto`. */
export function autoAllocation(s: NetworkServices) {
  const m = s.models;

  const defaultExternal = async () => {
    const found = await readRows(m.NeutronNetwork, { attributes: ['id'], where: { external: true, is_default: true }, limit: 1 });
    if (!found.length) throw failure('No default router:external network');
    return found[0].id;
  };

  /** The first /26 of the default pool no auto-allocated subnet holds. */
  const freePrefix = async (): Promise<string> => {
    const taken = new Set(
      (await readRows(m.NeutronSubnet, { attributes: ['cidr'], where: { name: 'auto_allocated_subnet_v4' } })).map((r) => r.cidr),
    );
    const pool = subnetCidrOf(DEFAULT_POOL.prefix, 4);
    const count = 2 ** (DEFAULT_POOL.prefixLength - pool.prefix);
    const step = 2n ** BigInt(32 - DEFAULT_POOL.prefixLength);
    for (let i = 0; i < count; i++) {
      const cidr = cidrString({ ...pool, network: pool.network + step * BigInt(i), prefix: DEFAULT_POOL.prefixLength });
      if (!taken.has(cidr)) return cidr;
    }
    throw failure('Unable to provide tenant private network');
  };

  /** Removes what a topology holds: the router's interface and the router, then the network with its subnet. */
  const cleanup = async (networkId: string | undefined, routerId: string | undefined, subnetId: string | undefined) => {
    if (routerId) {
      if (subnetId) await answered(s.actors.router(routerId).removeInterface({ subnet_id: subnetId })).catch(() => undefined);
      await answered(s.actors.router(routerId).delete({}));
    }
    if (networkId) await answered(s.actors.network(networkId).delete({}));
  };

  const build = async (project: string, external: string): Promise<string> => {
    const at = now(s);
    const network: NeutronNetworkRow = {
      id: randomUUID(),
      project_id: project,
      name: 'auto_allocated_network',
      description: '',
      // Down until the topology is whole, as Neutron makes it.
      admin_state_up: false,
      status: 'ACTIVE',
      shared: false,
      external: false,
      is_default: false,
      mtu: 1500,
      port_security_enabled: true,
      availability_zone_hints: '[]',
      revision_number: 1,
      created_at: at,
      updated_at: at,
    };
    await answered(s.actors.network(network.id).create({ row: rowPayload(network) }));
    let routerId: string | undefined;
    let subnetId: string | undefined;
    try {
      const c = subnetCidrOf(await freePrefix(), 4);
      const gateway = defaultGateway(c);
      const subnet: NeutronSubnetRow = {
        id: randomUUID(),
        project_id: project,
        network_id: network.id,
        name: 'auto_allocated_subnet_v4',
        description: '',
        ip_version: 4,
        cidr: cidrString(c),
        gateway_ip: gateway,
        allocation_pools: JSON.stringify(defaultPools(c, gateway)),
        enable_dhcp: true,
        dns_nameservers: '[]',
        host_routes: '[]',
        ipv6_ra_mode: null,
        ipv6_address_mode: null,
        revision_number: 1,
        created_at: at,
        updated_at: at,
      };
      await answered(s.actors.network(network.id).createSubnet({ row: rowPayload(subnet) }));
      subnetId = subnet.id;
      const routerRow: NeutronRouterRow = {
        id: randomUUID(),
        project_id: project,
        name: 'auto_allocated_router',
        description: '',
        admin_state_up: true,
        status: 'ACTIVE',
        gateway_network_id: null,
        gateway_port_id: null,
        enable_snat: true,
        revision_number: 1,
        created_at: at,
        updated_at: at,
      };
      await answered(s.actors.router(routerRow.id).create({ row: rowPayload(routerRow), gateway: { network_id: external, snat: true } }));
      routerId = routerRow.id;
      await answered(s.actors.router(routerRow.id).addInterface({ subnet_id: subnet.id }));
      const record: NeutronAutoAllocatedTopologyRow = { project_id: project, network_id: network.id, router_id: routerRow.id, created_at: at };
      await m.NeutronAutoAllocatedTopology.create(record);
    } catch (error) {
      await cleanup(network.id, routerId, subnetId);
      // Another request made this project's topology first: that one is the project's.
      if (error instanceof UniqueConstraintError) {
        const first = await readRow(m.NeutronAutoAllocatedTopology, { where: { project_id: project } });
        if (first) return first.network_id;
      }
      throw error;
    }
    await answered(s.actors.network(network.id).update({ changes: { admin_state_up: true } }));
    return network.id;
  };

  /** The project's topology network, made on first use. */
  const getOrCreate = async (project: string): Promise<string> => {
    const existing = await readRow(m.NeutronAutoAllocatedTopology, { where: { project_id: project } });
    return existing ? existing.network_id : build(project, await defaultExternal());
  };
  return { defaultExternal, getOrCreate };
}

export function autoAllocatedTopologyRoutes(s: NetworkServices): Router<NetworkState> {
  const router = new Router<NetworkState>({ prefix: '/v2.0/auto-allocated-topology' });
  const m = s.models;
  const { defaultExternal, getOrCreate } = autoAllocation(s);

  router.get('/:project', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const project = projectOf(auth, ctx.params.project);
    const fields = fieldsOf(ctx.query.fields);
    if (fields.includes('dry-run')) {
      // Requirements only: a default external network (the default pool is always there).
      await defaultExternal();
      ctx.body = answer('dry-run=pass', project);
      return;
    }
    if (fields.length) throw badResourceRequest('auto_allocate', 'Unrecognized field');
    ctx.body = answer(await getOrCreate(project), project);
  });

  router.delete('/:project', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const project = projectOf(auth, ctx.params.project);
    const existing = await readRow(m.NeutronAutoAllocatedTopology, { where: { project_id: project } });
    if (existing) {
      const subnets = await readRows(m.NeutronSubnet, { attributes: ['id'], where: { network_id: existing.network_id } });
      if (existing.router_id) {
        for (const subnet of subnets)
          await answered(s.actors.router(existing.router_id).removeInterface({ subnet_id: subnet.id })).catch(() => undefined);
        await answered(s.actors.router(existing.router_id).delete({}));
      }
      await answered(s.actors.network(existing.network_id).delete({}));
      await m.NeutronAutoAllocatedTopology.destroy({ where: { project_id: project } });
    }
    ctx.status = 204;
  });

  return router;
}
