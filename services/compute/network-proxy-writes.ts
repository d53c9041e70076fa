import { readByPk, readRows } from '../../models/typed.js';
import type { NetworkDeps } from '../network/index.js';
import type { ComputeDeps } from './deps.js';
import { badRequest, ComputeFault, notFound } from './errors.js';
import { listFloatingIps } from './network-proxies.js';
import { authorize, type ComputeCaller } from './policy.js';
import { securityGroupsView } from './server-networks.js';

// The writes of Nova's network proxies (below 2.36): Nova checks the body as it did for nova-network, then asks
// Neutron with the caller's token and words Neutron's refusals as its neutron driver does.

/** A value as Python's str() would show it in a message (Nova's). */
const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function networkOf(d: ComputeDeps): NetworkDeps & { neutron: NonNullable<NetworkDeps['neutron']> } {
  if (!d.network?.neutron) throw new ComputeFault(501, 'Networking service is not configured.');
  return d.network as NetworkDeps & { neutron: NonNullable<NetworkDeps['neutron']> };
}

/** Neutron's answer, or its refusal in the words Nova's driver gives it (`Invalid` a 400 unless told otherwise). */
async function neutron(
  n: ReturnType<typeof networkOf>,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  fault = (s: number, m: string) => new ComputeFault(s === 404 ? 404 : 400, m),
) {
  const r = await n.neutron(method, path, token, body);
  if (r.status < 300) return r.body as Record<string, { id: string }>;
  const refusal = r.body as { NeutronError?: { message?: string }; message?: string } | undefined;
  const message = refusal?.NeutronError?.message ?? refusal?.message ?? `Networking service answered ${r.status}`;
  throw fault(r.status, message);
}

/** Nova's _from_body: the body's one object. */
function fromBody(body: unknown, key: string): Record<string, unknown> {
  if (!body || typeof body !== 'object') throw badRequest("The request body can't be empty");
  const value = (body as Record<string, unknown>)[key];
  if (!value || typeof value !== 'object') throw badRequest(`Missing parameter ${key}`);
  return value as Record<string, unknown>;
}

/** Nova's validate_property of a group's name or description. */
function property(value: unknown, name: string): string {
  if (typeof value !== 'string') throw badRequest(`Security group ${name} is not a string or unicode`);
  const v = value.trim();
  if (v.length < 1) throw badRequest(`${name} has a minimum character requirement of 1.`);
  if (v.length > 255) throw badRequest(`${name} has more than 255 characters.`);
  return v;
}

const validId = (id: unknown) => {
  if (typeof id !== 'string' || !UUID.test(id)) throw badRequest('Security group id should be uuid');
  return id;
};

async function ownGroup(n: NetworkDeps, caller: ComputeCaller, id: string) {
  const group = UUID.test(id) ? await readByPk(n.models.NeutronSecurityGroup, id) : null;
  if (!group || (!caller.auth.isAdmin && group.project_id !== caller.project)) throw notFound(`Security group ${id} not found.`);
  return group;
}

const shown = async (n: NetworkDeps, id: string) => (await securityGroupsView(n, [(await readByPk(n.models.NeutronSecurityGroup, id))!]))[0];

/** POST /os-security-groups. */
export async function createSecurityGroup(d: ComputeDeps, caller: ComputeCaller, token: string, body: unknown) {
  authorize(caller, 'os_compute_api:os-security-groups:create', 'member');
  const n = networkOf(d);
  const group = fromBody(body, 'security_group');
  const name = property(group.name, 'name');
  const description = property(group.description, 'description');
  const made = await neutron(n, token, 'POST', '/v2.0/security-groups', { security_group: { name, description } }, (s, m) =>
    // Neutron's quota refusal is Nova's SecurityGroupLimitExceeded.
    s === 409 && /Quota exceeded/.test(m) ? new ComputeFault(403, 'Quota exceeded, too many security groups.') : new ComputeFault(400, m),
  );
  return shown(n, made.security_group.id);
}

/** PUT /os-security-groups/{id}. */
export async function updateSecurityGroup(d: ComputeDeps, caller: ComputeCaller, token: string, id: string, body: unknown) {
  authorize(caller, 'os_compute_api:os-security-groups:update', 'member');
  const n = networkOf(d);
  const group = fromBody(body, 'security_group');
  const name = property(group.name, 'name');
  const description = property(group.description, 'description');
  await ownGroup(n, caller, id);
  await neutron(n, token, 'PUT', `/v2.0/security-groups/${id}`, { security_group: { name, description } });
  return shown(n, id);
}

/** DELETE /os-security-groups/{id}: Neutron's refusal (the default group, a group in use) is Nova's 400. */
export async function deleteSecurityGroup(d: ComputeDeps, caller: ComputeCaller, token: string, id: string) {
  authorize(caller, 'os_compute_api:os-security-groups:delete', 'member');
  const n = networkOf(d);
  await ownGroup(n, caller, id);
  await neutron(n, token, 'DELETE', `/v2.0/security-groups/${id}`);
}

const PROTOCOLS = ['tcp', 'udp', 'icmp'];
const integer = (v: unknown) =>
  typeof v === 'number' && Number.isInteger(v) ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;

/** Nova's parse of a rule's protocol and ports (nova.network.security_group_api._new_ingress_rule). */
function rulePorts(rule: Record<string, unknown>) {
  const raw = rule.ip_protocol;
  if (raw === undefined || raw === null) {
    if ((rule.from_port ?? null) !== null || (rule.to_port ?? null) !== null) throw badRequest('Not enough parameters to build a valid rule.');
    return {};
  }
  const protocol = text(raw).toLowerCase();
  if (!PROTOCOLS.includes(protocol)) throw badRequest(`Invalid IP protocol ${text(raw)}.`);
  const from = integer(rule.from_port);
  const to = integer(rule.to_port);
  const range = (why: string) => badRequest(`Invalid port range ${text(rule.from_port)}:${text(rule.to_port)}. ${why}`);
  if (Number.isNaN(from) || Number.isNaN(to)) throw range('Ports must be integers');
  if (protocol === 'icmp') {
    if (from < -1 || from > 255 || to < -1 || to > 255) throw range('For ICMP, the type:code must be valid');
    return { protocol, ...(from === -1 ? {} : { port_range_min: from }), ...(to === -1 || from === -1 ? {} : { port_range_max: to }) };
  }
  if (from > to) throw range('Former value cannot be greater than the later');
  if (from < 1 || to > 65535) throw range(`Valid ${protocol.toUpperCase()} ports should be between 1-65535`);
  return { protocol, port_range_min: from, port_range_max: to };
}

function cidrOf(value: unknown): string {
  const given = value === undefined || value === null ? '0.0.0.0/0' : text(value);
  const m = /^([0-9.]+|[0-9a-f:]+)\/(\d{1,3})$/i.exec(given.trim());
  if (!m) throw badRequest(`Invalid cidr ${given}.`);
  if (m[1] !== '0.0.0.0' && m[1] !== '::' && m[2] === '0') throw badRequest(`Bad prefix for network in cidr ${given}`);
  return given.trim();
}

/** POST /os-security-group-rules: an ingress rule of a group, from a CIDR or a group. */
export async function createSecurityGroupRule(d: ComputeDeps, caller: ComputeCaller, token: string, body: unknown) {
  authorize(caller, 'os_compute_api:os-security-groups:rule:create', 'member');
  const n = networkOf(d);
  const rule = fromBody(body, 'security_group_rule');
  const parent = await ownGroup(n, caller, validId(rule.parent_group_id));
  const source = rule.group_id === undefined || rule.group_id === null ? undefined : await ownGroup(n, caller, validId(rule.group_id));
  const ports = rulePorts(rule);
  const cidr = source ? undefined : cidrOf(rule.cidr);
  const made = await neutron(
    n,
    token,
    'POST',
    '/v2.0/security-group-rules',
    {
      security_group_rule: {
        security_group_id: parent.id,
        direction: 'ingress',
        ethertype: cidr?.includes(':') ? 'IPv6' : 'IPv4',
        ...ports,
        ...(source ? { remote_group_id: source.id } : { remote_ip_prefix: cidr }),
      },
    },
    // Neutron's SecurityGroupRuleExists (409) is Nova's 400 with its words.
    (s, m) =>
      s === 409 && /Quota exceeded/.test(m)
        ? new ComputeFault(403, 'Quota exceeded, too many security group rules.')
        : new ComputeFault(s === 404 ? 404 : 400, s === 409 && /already exists/.test(m) ? 'Security group rule already exists.' : m),
  );
  const view = await shown(n, parent.id);
  return view.rules.find((r) => r.id === made.security_group_rule.id)!;
}

/** DELETE /os-security-group-rules/{id}. */
export async function deleteSecurityGroupRule(d: ComputeDeps, caller: ComputeCaller, token: string, id: string) {
  authorize(caller, 'os_compute_api:os-security-groups:rule:delete', 'member');
  const n = networkOf(d);
  if (!UUID.test(id)) throw badRequest('Security group id should be uuid');
  const rule = await readByPk(n.models.NeutronSecurityGroupRule, id);
  const group = rule ? await readByPk(n.models.NeutronSecurityGroup, rule.security_group_id) : null;
  if (!rule || !group || (!caller.auth.isAdmin && group.project_id !== caller.project)) throw notFound(`Security group rule ${id} not found.`);
  await neutron(n, token, 'DELETE', `/v2.0/security-group-rules/${id}`);
}

/**
 * POST /os-floating-ips: an address from the pool asked (an external network by name or id), else the cloud's
 * default pool (Nova's default_floating_pool; here the first external network, devstack's `public`).
 */
export async function allocateFloatingIp(d: ComputeDeps, caller: ComputeCaller, token: string, body: unknown) {
  authorize(caller, 'os_compute_api:os-floating-ips:create', 'member');
  const n = networkOf(d);
  const asked = body && typeof body === 'object' ? (body as Record<string, unknown>).pool : undefined;
  const pool = asked === undefined || asked === null ? undefined : text(asked);
  const externals = await readRows(n.models.NeutronNetwork, { where: { external: true }, order: [['created_at', 'ASC']] });
  const net = pool === undefined ? externals[0] : (externals.find((x) => x.id === pool) ?? externals.find((x) => x.name === pool));
  if (!net) throw notFound('Floating IP pool not found.');
  const made = await neutron(n, token, 'POST', '/v2.0/floatingips', { floatingip: { floating_network_id: net.id } }, (s, m) => {
    if (s === 409 && /Quota exceeded/.test(m))
      return new ComputeFault(403, pool ? `IP allocation over quota in pool ${pool}.` : 'IP allocation over quota.');
    if (s === 409) return notFound(pool ? `No more floating IPs in pool ${pool}.` : 'No more floating IPs available.');
    return new ComputeFault(s === 404 ? 404 : 400, m);
  });
  return (await listFloatingIps(d, caller, made.floatingip.id))[0];
}

async function ownFloatingIp(n: NetworkDeps, caller: ComputeCaller, id: string) {
  const row = UUID.test(id) ? await readByPk(n.models.NeutronFloatingIp, id) : null;
  if (!row || (!caller.auth.isAdmin && row.project_id !== caller.project)) throw notFound(`Floating IP not found for ID ${id}`);
  return row;
}

/** DELETE /os-floating-ips/{id}: released (unmapped first, as Neutron's delete does). */
export async function releaseFloatingIp(d: ComputeDeps, caller: ComputeCaller, token: string, id: string) {
  authorize(caller, 'os_compute_api:os-floating-ips:delete', 'member');
  const n = networkOf(d);
  await ownFloatingIp(n, caller, id);
  await neutron(n, token, 'DELETE', `/v2.0/floatingips/${id}`);
}

/** The `addFloatingIp` action (below 2.44): the address mapped to the server's port holding `fixed_address` (else its first). */
export async function addFloatingIp(d: ComputeDeps, caller: ComputeCaller, token: string, server: string, body: Record<string, unknown>) {
  authorize(caller, 'os_compute_api:os-floating-ips:add', 'member');
  const n = networkOf(d);
  const address = body.address;
  if (typeof address !== 'string' || !address)
    throw badRequest("Invalid input for field/attribute addFloatingIp. Value: {}. 'address' is a required property");
  const fixedAddress = typeof body.fixed_address === 'string' ? body.fixed_address : undefined;
  const [floating] = await readRows(n.models.NeutronFloatingIp, { where: { floating_ip_address: address } });
  if (!floating || (!caller.auth.isAdmin && floating.project_id !== caller.project)) throw notFound('floating IP not found');
  const links = await readRows(n.models.InstancePort, { where: { instance_uuid: server }, order: [['position', 'ASC']] });
  const fixed = links.length ? await readRows(n.models.NeutronIpAllocation, { where: { port_id: links.map((l) => l.port_id) } }) : [];
  const v4 = fixed.filter((f) => !f.ip_address.includes(':'));
  if (!v4.length) throw badRequest('No nw_info cache associated with instance');
  const target =
    fixedAddress === undefined
      ? links.map((l) => v4.find((f) => f.port_id === l.port_id)).find(Boolean)
      : v4.find((f) => f.ip_address === fixedAddress);
  if (!target) throw badRequest('Specified fixed address not assigned to instance');
  if (floating.port_id && floating.port_id !== target.port_id) {
    const other = await readByPk(n.models.NeutronPort, floating.port_id);
    // Nova re-associates a floating IP of the same project away from another server, as its neutron driver does.
    if (!other || other.project_id !== caller.project) throw badRequest('floating IP is already associated');
  }
  await neutron(n, token, 'PUT', `/v2.0/floatingips/${floating.id}`, {
    floatingip: { port_id: target.port_id, fixed_ip_address: target.ip_address },
  });
}

/** The `removeFloatingIp` action (below 2.44). */
export async function removeFloatingIp(d: ComputeDeps, caller: ComputeCaller, token: string, server: string, body: Record<string, unknown>) {
  authorize(caller, 'os_compute_api:os-floating-ips:remove', 'member');
  const n = networkOf(d);
  const address = body.address;
  if (typeof address !== 'string' || !address)
    throw badRequest("Invalid input for field/attribute removeFloatingIp. Value: {}. 'address' is a required property");
  const [floating] = await readRows(n.models.NeutronFloatingIp, { where: { floating_ip_address: address } });
  if (!floating || (!caller.auth.isAdmin && floating.project_id !== caller.project)) throw notFound('floating IP not found');
  const port = floating.port_id ? await readByPk(n.models.NeutronPort, floating.port_id) : null;
  if (!port || port.device_id !== server) throw new ComputeFault(409, `Floating IP ${address} is not associated with instance ${server}.`);
  await neutron(n, token, 'PUT', `/v2.0/floatingips/${floating.id}`, { floatingip: { port_id: null } });
}
