import Router from '@koa/router';
import { Op } from 'sequelize';
import type { NeutronNetworkRow } from '../../../models/index.js';
import { readByPk, readRows } from '../../../models/typed.js';
import { notFound, policyRefused } from '../errors.js';
import { parseIp } from '../ip.js';
import { asInteger, listQuery, type ListSpec } from '../list.js';
import { authenticate, json, type NetworkServices, type NetworkState } from '../services.js';
import type { Pool } from '../views/subnet.js';

const listSpec: ListSpec = {
  collection: 'network_ip_availabilities',
  attributes: {
    network_id: { column: 'id', sort: true },
    network_name: { column: 'name', sort: true },
    project_id: { column: 'project_id', sort: true },
  },
  // Read by the route: it picks subnets, and the networks that have one.
  special: { ip_version: () => ({}) },
};

/** `/v2.0/network-ip-availabilities` (admin): each network's and subnet's pool size and addresses in use. */
export function ipAvailabilityRoutes(s: NetworkServices): Router<NetworkState> {
  const router = new Router<NetworkState>({ prefix: '/v2.0/network-ip-availabilities' });

  const render = async (networks: readonly NeutronNetworkRow[], versions?: number[]) => {
    const ids = networks.map((n) => n.id);
    const subnets = ids.length
      ? await readRows(s.models.NeutronSubnet, {
          where: { network_id: { [Op.in]: ids } },
          order: [
            ['created_at', 'ASC'],
            ['id', 'ASC'],
          ],
        })
      : [];
    const used = new Map<string, number>();
    if (subnets.length) {
      const counts = (await s.models.NeutronIpAllocation.count({
        where: { subnet_id: { [Op.in]: subnets.map((x) => x.id) } },
        group: ['subnet_id'],
      })) as unknown as Array<{ subnet_id: string; count: number }>;
      for (const c of counts) used.set(c.subnet_id, Number(c.count));
    }
    const size = (pools: Pool[]) => pools.reduce((n, p) => n + Number(parseIp(p.end)!.value - parseIp(p.start)!.value + 1n), 0);
    return networks
      .map((n) => {
        const mine = subnets.filter((x) => x.network_id === n.id && (!versions || versions.includes(Number(x.ip_version))));
        const per = mine.map((x) => ({
          subnet_id: x.id,
          subnet_name: x.name,
          cidr: x.cidr,
          ip_version: Number(x.ip_version),
          total_ips: size(json<Pool[]>(x.allocation_pools)),
          used_ips: used.get(x.id) ?? 0,
        }));
        return {
          network_id: n.id,
          network_name: n.name,
          tenant_id: n.project_id,
          project_id: n.project_id,
          total_ips: per.reduce((a, x) => a + x.total_ips, 0),
          used_ips: per.reduce((a, x) => a + x.used_ips, 0),
          subnet_ip_availability: per,
        };
      })
      .filter((a) => !versions || a.subnet_ip_availability.length);
  };

  router.get('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    if (!auth.isAdmin) throw policyRefused('rule:get_network_ip_availability');
    const q = await listQuery(ctx, listSpec);
    const asked = ctx.query.ip_version;
    const versions = asked === undefined ? undefined : (Array.isArray(asked) ? asked : [asked]).map(asInteger);
    const networks = await readRows(s.models.NeutronNetwork, { where: { [Op.and]: q.where }, order: [['id', 'ASC']], limit: q.limit });
    ctx.body = { network_ip_availabilities: await render(networks, versions) };
  });

  router.get('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    if (!auth.isAdmin) throw policyRefused('rule:get_network_ip_availability');
    const network = await readByPk(s.models.NeutronNetwork, ctx.params.id);
    if (!network) throw notFound('NetworkNotFound', `Network ${ctx.params.id} could not be found.`);
    ctx.body = { network_ip_availability: (await render([network]))[0] };
  });

  return router;
}
