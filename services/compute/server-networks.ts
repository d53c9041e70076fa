import type { NeutronSecurityGroupRow } from '../../models/index.js';
import { readRows } from '../../models/typed.js';
import { availableNetworks, portsOfServers, type NetworkDeps, type ServerPort } from '../network/index.js';
import type { ComputeDeps } from './deps.js';
import { badRequest, ComputeFault, notFound } from './errors.js';
import { allocatePorts, planNetworks, releasePorts } from './networks.js';
import { authorize, type ComputeCaller } from './policy.js';
import { findServer } from './servers.js';

// What Nova's API does with a live server's ports: os-interface's attach and detach, and the security group actions.

/** Nova's attach and detach states: a server at rest (active, paused, stopped), no task under way. */
const ATTACHABLE = new Set(['active', 'paused', 'stopped']);

function network(d: ComputeDeps): NetworkDeps {
  if (!d.network) throw new ComputeFault(400, 'Network service is not available');
  return d.network;
}

async function atRest(d: ComputeDeps, caller: ComputeCaller, id: string, action: string) {
  const row = await findServer(d, caller, id, {
    attributes: ['uuid', 'project_id', 'vm_state', 'task_state', 'locked', 'host', 'availability_zone'],
  });
  if (row.locked && !caller.auth.isAdmin) throw new ComputeFault(409, `Instance ${row.uuid} is locked`);
  if (row.task_state) throw new ComputeFault(409, `Cannot '${action}' instance ${row.uuid} while it is in task_state ${row.task_state}`);
  if (!ATTACHABLE.has(row.vm_state)) throw new ComputeFault(409, `Cannot '${action}' instance ${row.uuid} while it is in vm_state ${row.vm_state}`);
  return row;
}

/** The boot's checks of a named network or port, with attach's statuses: a missing one is 404 there (400 at boot). */
async function attachPlan(...args: Parameters<typeof planNetworks>) {
  try {
    return await planNetworks(...args);
  } catch (error) {
    if (error instanceof ComputeFault && error.status === 400 && / could not be found\.$/.test(error.message)) throw notFound(error.message);
    throw error;
  }
}

export interface AttachRequest {
  readonly net_id?: string;
  readonly port_id?: string;
  readonly fixed_ips?: ReadonlyArray<{ ip_address: string }>;
  readonly tag?: string;
}

/** POST /servers/{id}/os-interface: a new port on a network (or the project's only one), or the user's port; bound at once. */
export async function attachInterface(d: ComputeDeps, caller: ComputeCaller, id: string, request: AttachRequest): Promise<ServerPort> {
  authorize(caller, 'os_compute_api:os-attach-interfaces:create', 'member');
  const n = network(d);
  if (request.net_id && request.port_id) throw badRequest('Must not input both network_id and port_id');
  if (request.fixed_ips?.length && !request.net_id) throw badRequest('Must input network_id when request IP address');
  if ((request.fixed_ips?.length ?? 0) > 1) throw badRequest('Only one IP address may be requested per attachment');
  const row = await atRest(d, caller, id, 'attach_interface');
  let plan;
  if (request.port_id || request.net_id) {
    plan = await attachPlan(
      n,
      caller,
      [
        request.port_id
          ? { port: request.port_id, ...(request.tag ? { tag: request.tag } : {}) }
          : {
              uuid: request.net_id,
              ...(request.fixed_ips?.length ? { fixed_ip: request.fixed_ips[0].ip_address } : {}),
              ...(request.tag ? { tag: request.tag } : {}),
            },
      ],
      1,
    );
  } else {
    const nets = await availableNetworks(n, caller.project, caller.auth.isAdmin);
    if (!nets.length) throw badRequest(`No specific network was requested and none are available for project '${caller.project}'.`);
    // NetworkAmbiguous is a 400 here (a boot's is a 409).
    if (nets.length > 1) throw badRequest('Multiple possible networks found, use a Network ID to be more specific.');
    plan = [{ network_id: nets[0].id }];
  }
  const before = new Set(((await portsOfServers(n, [id])).get(id) ?? []).map((p) => p.port.id));
  const position = (await n.models.InstancePort.count({ where: { instance_uuid: id } })) + 1000;
  await allocatePorts(n, caller, id, row.availability_zone ?? 'nova', plan, undefined, new Date(d.clock.now()), position);
  const after = (await portsOfServers(n, [id])).get(id) ?? [];
  const made = after.find((p) => !before.has(p.port.id));
  if (!made) throw new ComputeFault(500, 'Failed to attach network adapter device');
  // Hot-plugged where the server runs: its binding is its host's at once.
  if (row.host) await n.ports.update(made.port.id, { binding_host_id: row.host });
  return ((await portsOfServers(n, [id])).get(id) ?? []).find((p) => p.port.id === made.port.id)!;
}

/** DELETE /servers/{id}/os-interface/{port}: a port made for the server removed, the user's own released. */
export async function detachInterface(d: ComputeDeps, caller: ComputeCaller, id: string, portId: string): Promise<void> {
  authorize(caller, 'os_compute_api:os-attach-interfaces:delete', 'member');
  const n = network(d);
  await atRest(d, caller, id, 'detach_interface');
  const port = ((await portsOfServers(n, [id])).get(id) ?? []).find((p) => p.port.id === portId);
  if (!port) throw notFound(`Port ${portId} is not attached`);
  await releasePorts(n, [{ id: portId, preserve: port.preserve }]);
}

async function groupOf(n: NetworkDeps, project: string, name: string) {
  const rows = await readRows(n.models.NeutronSecurityGroup, { where: { project_id: project } });
  const byId = rows.find((g) => g.id === name);
  if (byId) return byId;
  const named = rows.filter((g) => g.name === name);
  if (named.length > 1) throw new ComputeFault(409, `Multiple security_group matches found for name '${name}', use an ID to be more specific.`);
  if (!named.length) {
    // The project's default group is made on its first use.
    if (name === 'default') {
      await n.ports.securityGroupIds(project, ['default']);
      return groupOf(n, project, name);
    }
    throw notFound(`Security group ${name} not found for project ${project}.`);
  }
  return named[0];
}

/** addSecurityGroup / removeSecurityGroup: the group put on (or taken off) every port of the server, as Nova does. */
export async function changeSecurityGroup(d: ComputeDeps, caller: ComputeCaller, id: string, name: string, add: boolean): Promise<void> {
  authorize(caller, `os_compute_api:os-security-groups:${add ? 'add' : 'remove'}`, 'member');
  const n = network(d);
  const row = await findServer(d, caller, id, { attributes: ['uuid', 'project_id'] });
  const group = await groupOf(n, row.project_id, name);
  const ports = (await portsOfServers(n, [id])).get(id) ?? [];
  const groupsOf = (p: ServerPort) => JSON.parse(p.port.security_groups) as string[];
  if (add) {
    if (!ports.length) throw notFound(`instance_id ${id} could not be found as device id on any ports`);
    for (const p of ports) {
      if (!p.port.port_security_enabled || !p.fixed.length)
        throw badRequest('Network requires port_security_enabled and subnet associated in order to apply security groups.');
    }
    for (const p of ports) if (!groupsOf(p).includes(group.id)) await n.ports.setSecurityGroups(p.port.id, [...groupsOf(p), group.id]);
    return;
  }
  const holding = ports.filter((p) => groupsOf(p).includes(group.id));
  if (!holding.length) throw badRequest(`Security group ${name} not associated with the instance ${id}`);
  for (const p of holding)
    await n.ports.setSecurityGroups(
      p.port.id,
      groupsOf(p).filter((g) => g !== group.id),
    );
}

/** Nova's rule ports: a protocol without a range is all of TCP's or UDP's ports, -1 for the others. */
function portsOfRule(r: { protocol: string | null; port_range_min: number | null; port_range_max: number | null }) {
  if (r.protocol && r.port_range_min === null && r.port_range_max === null) {
    const whole = ['TCP', 'UDP'].includes(r.protocol.toUpperCase());
    return { from_port: whole ? 1 : -1, to_port: whole ? 65535 : -1 };
  }
  return { from_port: r.port_range_min, to_port: r.port_range_max };
}

/** GET /servers/{id}/os-security-groups: the groups of the server's ports, with their rules, in Nova's terms. */
export async function serverSecurityGroups(d: ComputeDeps, caller: ComputeCaller, id: string) {
  authorize(caller, 'os_compute_api:os-security-groups:list', 'reader');
  await findServer(d, caller, id, { attributes: ['uuid', 'project_id'] });
  if (!d.network) return [];
  const n = d.network;
  const ports = (await portsOfServers(n, [id])).get(id) ?? [];
  const ids = [...new Set(ports.flatMap((p) => JSON.parse(p.port.security_groups) as string[]))];
  if (!ids.length) return [];
  return securityGroupsView(n, await readRows(n.models.NeutronSecurityGroup, { where: { id: ids } }));
}

/** Security groups with their ingress rules, as Nova's proxy shows Neutron's (a remote group by its name). */
export async function securityGroupsView(n: NetworkDeps, groups: readonly NeutronSecurityGroupRow[]) {
  const ids = groups.map((g) => g.id);
  const rules = ids.length ? await readRows(n.models.NeutronSecurityGroupRule, { where: { security_group_id: ids } }) : [];
  const remote = [...new Set(rules.map((r) => r.remote_group_id).filter((g): g is string => !!g))];
  const names = new Map(
    (remote.length ? await readRows(n.models.NeutronSecurityGroup, { attributes: ['id', 'name'], where: { id: remote } }) : []).map((g) => [
      g.id,
      g.name,
    ]),
  );
  return groups.map((g) => ({
    id: g.id,
    name: g.name,
    description: g.description,
    tenant_id: g.project_id,
    // Nova shows ingress rules only.
    rules: rules
      .filter((r) => r.security_group_id === g.id && r.direction === 'ingress')
      .map((r) => ({
        id: r.id,
        parent_group_id: g.id,
        ip_protocol: r.protocol ?? null,
        ...portsOfRule(r),
        ip_range: r.remote_group_id ? {} : { cidr: r.remote_ip_prefix || '0.0.0.0/0' },
        group: r.remote_group_id ? { name: names.get(r.remote_group_id) ?? r.remote_group_id, tenant_id: g.project_id } : {},
      })),
  }));
}
