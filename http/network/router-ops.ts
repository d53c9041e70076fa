import { Op, type Transaction } from 'sequelize';
import type { RouterGateway, RouterInterface, RouterOps } from '../../actors/router/index.js';
import type { NeutronRouterRow } from '../../models/index.js';
import { readByPk, readRows } from '../../models/typed.js';
import { badResourceRequest, conflict, notFound } from './errors.js';
import { overlaps, parseCidr } from './ip.js';
import { deletePort, fixedIpsOf, insertServicePort } from './port-store.js';
import { checkQuota } from './quotas.js';
import { now, serialized, type NetworkData } from './services.js';

const routerGone = (id: string) => notFound('RouterNotFound', `Router ${id} could not be found`);

/** The SQL of a router's changes (its row, its gateway port, its interface ports), run by the router's actor. */
export function routerOps(s: NetworkData): RouterOps {
  const m = s.models;
  const gatewayPort = (transaction: Transaction, router: string, gateway: RouterGateway, at: Date) =>
    insertServicePort(s, transaction, {
      network_id: gateway.network_id,
      project_id: '',
      device_owner: 'network:router_gateway',
      device_id: router,
      requests: gateway.requests,
      at,
    });
  return {
    async createRouter(input, gateway) {
      const row: NeutronRouterRow = {
        ...(input as unknown as NeutronRouterRow),
        gateway_network_id: gateway?.network_id ?? null,
        gateway_port_id: null,
      };
      row.enable_snat = gateway?.snat ?? true;
      await serialized(s, [`project:${row.project_id}`, ...(gateway ? [`network:${gateway.network_id}`] : [])], async (transaction) => {
        if (await readByPk(m.NeutronRouter, row.id, { transaction })) return;
        await checkQuota(s, row.project_id, 'router', 1, transaction);
        if (gateway) row.gateway_port_id = (await gatewayPort(transaction, row.id, gateway, now(s))).port.id;
        await m.NeutronRouter.create(row, { transaction });
      });
      return (await readByPk(m.NeutronRouter, row.id))!;
    },

    async updateRouter(id, changes, gateway) {
      const row = await readByPk(m.NeutronRouter, id);
      if (!row) throw routerGone(id);
      const next: Partial<NeutronRouterRow> = { ...changes, revision_number: Number(row.revision_number) + 1, updated_at: now(s) };
      const networks = [row.gateway_network_id, gateway?.network_id].filter((x): x is string => !!x);
      await serialized(
        s,
        networks.map((n) => `network:${n}`),
        async (transaction) => {
          if (gateway !== undefined && (gateway?.network_id ?? null) !== row.gateway_network_id) {
            if (row.gateway_port_id) {
              const held = await m.NeutronFloatingIp.count({ where: { router_id: id }, transaction });
              if (held)
                throw conflict(
                  'RouterExternalGatewayInUseByFloatingIp',
                  `Gateway cannot be updated for router ${id}, since a gateway to external network ${row.gateway_network_id} is required by one or more floating IPs.`,
                );
              await deletePort(s, row.gateway_port_id, transaction);
            }
            next.gateway_network_id = gateway?.network_id ?? null;
            next.gateway_port_id = gateway ? (await gatewayPort(transaction, id, gateway, next.updated_at!)).port.id : null;
          }
          if (gateway) next.enable_snat = gateway.snat;
          await m.NeutronRouter.update(next, { where: { id }, transaction });
        },
      );
      return (await readByPk(m.NeutronRouter, id))!;
    },

    async deleteRouter(id) {
      const row = await readByPk(m.NeutronRouter, id);
      if (!row) return;
      await serialized(s, row.gateway_network_id ? [`network:${row.gateway_network_id}`] : [], async (transaction) => {
        const interfaces = await m.NeutronPort.count({ where: { device_id: id, device_owner: 'network:router_interface' }, transaction });
        if (interfaces) throw conflict('RouterInUse', `Router ${id} still has ports`);
        if (await m.NeutronFloatingIp.count({ where: { router_id: id }, transaction })) throw conflict('RouterInUse', `Router ${id} still has ports`);
        if (row.gateway_port_id) await deletePort(s, row.gateway_port_id, transaction);
        await m.NeutronRouter.destroy({ where: { id }, transaction });
      });
    },

    async addInterface(router, asked) {
      if (asked.subnet_id) {
        const subnet = await readByPk(m.NeutronSubnet, asked.subnet_id);
        if (!subnet) throw notFound('SubnetNotFound', `Subnet ${asked.subnet_id} could not be found.`);
        if (!subnet.gateway_ip) throw badResourceRequest('router', `Subnet for router interface must have a gateway IP`);
        return serialized(s, [`network:${subnet.network_id}`], async (transaction) => {
          await refuseOverlap(s, router.id, subnet.cidr, subnet.id, transaction);
          const { port } = await insertServicePort(s, transaction, {
            network_id: subnet.network_id,
            project_id: router.project_id,
            device_owner: 'network:router_interface',
            device_id: router.id,
            requests: [{ subnet_id: subnet.id, ip_address: subnet.gateway_ip! }],
            at: now(s),
          });
          return { port_id: port.id, subnet_id: subnet.id, subnet_ids: [subnet.id], network_id: subnet.network_id };
        });
      }
      const port = await readByPk(m.NeutronPort, asked.port_id!);
      if (!port) throw notFound('PortNotFound', `Port ${asked.port_id} could not be found.`);
      if (port.device_id || port.device_owner)
        throw conflict(
          'PortInUse',
          `Unable to complete operation on port ${port.id} for network ${port.network_id}. Port already has an attached device ${port.device_id}.`,
        );
      return serialized(s, [`network:${port.network_id}`], async (transaction) => {
        const ips = (await fixedIpsOf(s, [port.id], transaction)).get(port.id)!;
        if (!ips.length) throw badResourceRequest('router', `Router port must have at least one fixed IP`);
        for (const ip of ips) {
          const subnet = (await readByPk(m.NeutronSubnet, ip.subnet_id, { transaction }))!;
          await refuseOverlap(s, router.id, subnet.cidr, subnet.id, transaction);
        }
        await m.NeutronPort.update(
          { device_id: router.id, device_owner: 'network:router_interface', updated_at: now(s) },
          { where: { id: port.id }, transaction },
        );
        return { port_id: port.id, subnet_id: ips[0].subnet_id, subnet_ids: [ips[0].subnet_id], network_id: port.network_id };
      });
    },

    async removeInterface(router, asked): Promise<RouterInterface> {
      const ports = await readRows(m.NeutronPort, { where: { device_id: router.id, device_owner: 'network:router_interface' } });
      const ips = await fixedIpsOf(
        s,
        ports.map((p) => p.id),
      );
      const port = asked.port_id
        ? ports.find((p) => p.id === asked.port_id)
        : ports.find((p) => ips.get(p.id)!.some((f) => f.subnet_id === asked.subnet_id));
      if (!port && asked.port_id)
        throw notFound('RouterInterfaceNotFound', `Router ${router.id} does not have an interface with id ${asked.port_id}`);
      if (!port) throw notFound('RouterInterfaceNotFoundForSubnet', `Router ${router.id} has no interface on subnet ${asked.subnet_id}`);
      const subnets = ips.get(port.id)!.map((f) => f.subnet_id);
      await serialized(s, [`network:${port.network_id}`], async (transaction) => {
        const users = await readRows(m.NeutronFloatingIp, {
          attributes: ['port_id'],
          where: { router_id: router.id, port_id: { [Op.ne]: null } },
          transaction,
        });
        const held = users.length
          ? await readRows(m.NeutronIpAllocation, {
              where: { port_id: { [Op.in]: users.map((u) => u.port_id!) }, subnet_id: { [Op.in]: subnets } },
              transaction,
            })
          : [];
        if (held.length)
          throw conflict(
            'RouterInterfaceInUseByFloatingIP',
            `Router interface for subnet ${subnets[0]} on router ${router.id} cannot be deleted, as it is required by one or more floating IPs.`,
          );
        await deletePort(s, port.id, transaction);
      });
      return { port_id: port.id, subnet_id: subnets[0], subnet_ids: subnets, network_id: port.network_id };
    },
  };
}

/** A router joins no two subnets that overlap, nor one subnet twice. */
async function refuseOverlap(s: NetworkData, routerId: string, cidr: string, subnetId: string, transaction: Transaction): Promise<void> {
  const ports = await readRows(s.models.NeutronPort, {
    attributes: ['id'],
    where: { device_id: routerId, device_owner: 'network:router_interface' },
    transaction,
  });
  const ips = await fixedIpsOf(
    s,
    ports.map((p) => p.id),
    transaction,
  );
  const subnets = [...ips.values()].flat().map((f) => f.subnet_id);
  if (subnets.includes(subnetId)) throw badResourceRequest('router', `Router already has a port on subnet ${subnetId}`);
  const rows = subnets.length ? await readRows(s.models.NeutronSubnet, { where: { id: { [Op.in]: subnets } }, transaction }) : [];
  const mine = parseCidr(cidr)!;
  const clash = rows.find((r) => overlaps(parseCidr(r.cidr)!, mine));
  if (clash) throw badResourceRequest('router', `Cidr ${cidr} of subnet ${subnetId} overlaps with cidr ${clash.cidr} of subnet ${clash.id}`);
}
