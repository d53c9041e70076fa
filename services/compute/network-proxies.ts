import { Op } from 'sequelize';
import { readByPk, readRows } from '../../models/typed.js';
import type { ComputeDeps } from './deps.js';
import { notFound } from './errors.js';
import { authorize, type ComputeCaller } from './policy.js';
import { securityGroupsView } from './server-networks.js';

// The reads of Nova's network proxies (below 2.36): Neutron's security groups, floating IPs and their pools, as
// Nova's os-security-groups, os-floating-ips and os-floating-ip-pools show them.

/** The project's security groups (its `default` made on first use, as Neutron's list makes it). */
export async function listSecurityGroups(d: ComputeDeps, caller: ComputeCaller) {
  authorize(caller, 'os_compute_api:os-security-groups:get', 'reader');
  if (!d.network) return [];
  await d.network.ports.securityGroupIds(caller.project, ['default']);
  const groups = await readRows(d.network.models.NeutronSecurityGroup, {
    where: { project_id: caller.project },
    order: [
      ['created_at', 'ASC'],
      ['id', 'ASC'],
    ],
    limit: 1000,
  });
  return securityGroupsView(d.network, groups);
}

export async function showSecurityGroup(d: ComputeDeps, caller: ComputeCaller, id: string) {
  authorize(caller, 'os_compute_api:os-security-groups:show', 'reader');
  const group = d.network ? await readByPk(d.network.models.NeutronSecurityGroup, id) : undefined;
  if (!d.network || !group || (!caller.auth.isAdmin && group.project_id !== caller.project)) throw notFound(`Security group ${id} not found.`);
  return (await securityGroupsView(d.network, [group]))[0];
}

/** External networks by name: the pools floating IPs come from. */
export async function floatingIpPools(d: ComputeDeps, caller: ComputeCaller) {
  authorize(caller, 'os_compute_api:os-floating-ip-pools:list', 'reader');
  if (!d.network) return [];
  const nets = await readRows(d.network.models.NeutronNetwork, { attributes: ['name'], where: { external: true }, order: [['name', 'ASC']] });
  return nets.map((n) => ({ name: n.name }));
}

/** The project's floating IPs with the server each is mapped to. */
export async function listFloatingIps(d: ComputeDeps, caller: ComputeCaller, id?: string) {
  authorize(caller, `os_compute_api:os-floating-ips:${id ? 'show' : 'list'}`, 'reader');
  if (!d.network) {
    if (id) throw notFound(`Floating IP not found for ID ${id}`);
    return [];
  }
  const m = d.network.models;
  const rows = await readRows(m.NeutronFloatingIp, {
    where: { project_id: caller.project, ...(id ? { id } : {}) },
    order: [['floating_ip_address', 'ASC']],
    limit: 1000,
  });
  if (id && !rows.length) throw notFound(`Floating IP not found for ID ${id}`);
  const nets = new Map(
    (
      await readRows(m.NeutronNetwork, {
        attributes: ['id', 'name'],
        where: { id: { [Op.in]: [...new Set(rows.map((r) => r.floating_network_id))] } },
      })
    ).map((n) => [n.id, n.name]),
  );
  const portIds = rows.map((r) => r.port_id).filter((p): p is string => !!p);
  const devices = new Map(
    (portIds.length ? await readRows(m.NeutronPort, { attributes: ['id', 'device_id'], where: { id: { [Op.in]: portIds } } }) : []).map((p) => [
      p.id,
      p.device_id,
    ]),
  );
  return rows.map((r) => ({
    id: r.id,
    ip: r.floating_ip_address,
    pool: nets.get(r.floating_network_id) ?? r.floating_network_id,
    fixed_ip: r.fixed_ip_address ?? null,
    instance_id: (r.port_id && devices.get(r.port_id)) || null,
  }));
}

/**
 * The networks the caller sees (its own, shared and external ones), as Nova's os-networks shows Neutron's: the id and
 * the name as `label`, every nova-network field null ("two fields of thirty"), the admin's fields to admins.
 */
export async function listNetworks(d: ComputeDeps, caller: ComputeCaller, rule: string, id?: string) {
  authorize(caller, rule, 'reader');
  if (!d.network) {
    if (id) throw notFound('Network not found');
    return [];
  }
  const rows = await readRows(d.network.models.NeutronNetwork, {
    where: {
      ...(id ? { id } : {}),
      ...(caller.auth.isAdmin ? {} : { [Op.or]: [{ project_id: caller.project }, { shared: true }, { external: true }] }),
    },
    order: [
      ['created_at', 'ASC'],
      ['id', 'ASC'],
    ],
  });
  if (id && !rows.length) throw notFound('Network not found');
  const fields = [...USER_FIELDS, ...(caller.auth.isAdmin ? ADMIN_FIELDS : [])];
  return rows.map((n) => Object.fromEntries(fields.map((f) => [f, f === 'id' ? n.id : f === 'label' ? n.name : null])));
}

const USER_FIELDS = ['id', 'cidr', 'netmask', 'gateway', 'broadcast', 'dns1', 'dns2', 'cidr_v6', 'gateway_v6', 'label', 'netmask_v6'];
const ADMIN_FIELDS = [
  'created_at',
  'updated_at',
  'deleted_at',
  'deleted',
  'injected',
  'bridge',
  'vlan',
  'vpn_public_address',
  'vpn_public_port',
  'vpn_private_address',
  'dhcp_start',
  'project_id',
  'host',
  'bridge_interface',
  'multi_host',
  'priority',
  'rxtx_base',
  'mtu',
  'dhcp_server',
  'enable_dhcp',
  'share_address',
];
