import { QueryTypes, type Order, type WhereOptions } from 'sequelize';
import type { NetworkServices } from './services.js';

// A long port list on SQLite, written by SQLite itself: node-sqlite3 spends about a microsecond per value turning
// rows into objects, and a port has some twenty values plus its addresses; SQLite's json functions render the
// whole page as one string, which goes out as it came (the security groups and address pairs are JSON already).

/**
 * The page of ports (with their addresses, as `portView` shows them) as one JSON array text, and their ids in order
 * (for the page links); undefined off SQLite.
 */
export async function renderedPorts(
  s: NetworkServices,
  options: { where: WhereOptions; order: Order; limit: number; admin: boolean },
): Promise<{ text: string; ids: string[] } | undefined> {
  const model = s.models.NeutronPort;
  const sequelize = model.sequelize!;
  if (sequelize.getDialect() !== 'sqlite') return undefined;
  // Sequelize's typings do not expose the query generator, which writes the same SELECT as findAll.
  const generator = (sequelize.getQueryInterface() as unknown as { queryGenerator: { selectQuery(t: string, o: object, m: unknown): string } })
    .queryGenerator;
  const inner = generator.selectQuery(model.getTableName() as string, { ...options, attributes: Object.keys(model.getAttributes()) }, model);
  const bool = (column: string) => `json(CASE WHEN p.${column} THEN 'true' ELSE 'false' END)`;
  const time = (column: string) => `strftime('%Y-%m-%dT%H:%M:%SZ', p.${column})`;
  const binding = options.admin
    ? `'binding:host_id', p.binding_host_id,
       'binding:vif_type', CASE WHEN p.binding_host_id <> '' THEN 'other' ELSE 'unbound' END,
       'binding:vif_details', json('{}'), 'binding:vnic_type', 'normal', 'binding:profile', json('{}'),`
    : `'binding:vnic_type', 'normal',`;
  // Addresses IPv4 first, then by subnet and address (as port-store's fixedIpsOf orders them).
  const fixedIps = `(SELECT json_group_array(json_object('subnet_id', a.subnet_id, 'ip_address', a.ip_address)) FROM
      (SELECT subnet_id, ip_address FROM neutron_ip_allocations WHERE port_id = p.id
        ORDER BY instr(ip_address, ':') > 0, subnet_id, length(ip_address), ip_address) a)`;
  const [row] = await sequelize.query<{ ports: string; ids: string }>(
    `SELECT json_group_array(json_object(
       'id', p.id, 'name', p.name, 'network_id', p.network_id, 'mac_address', p.mac_address,
       'admin_state_up', ${bool('admin_state_up')}, 'status', p.status, 'device_id', p.device_id, 'device_owner', p.device_owner,
       'fixed_ips', json(${fixedIps}),
       'allowed_address_pairs', json(p.allowed_address_pairs), 'security_groups', json(p.security_groups),
       'port_security_enabled', ${bool('port_security_enabled')}, 'ip_allocation', 'immediate',
       ${binding}
       'tenant_id', p.project_id, 'project_id', p.project_id, 'description', p.description, 'tags', json('[]'),
       'created_at', ${time('created_at')}, 'updated_at', ${time('updated_at')}, 'revision_number', p.revision_number
     )) AS ports, json_group_array(p.id) AS ids FROM (${inner.replace(/;\s*$/, '')}) p`,
    { type: QueryTypes.SELECT },
  );
  return { text: row.ports, ids: JSON.parse(row.ids) as string[] };
}
