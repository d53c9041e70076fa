import { UniqueConstraintError } from 'sequelize';
import { availableNetworks, hasSubnet, NetworkRefusal, portById, type NetworkDeps } from '../network/index.js';
import { fixedIpsCount } from '../network/reconcile.js';
import type { RequestedNetworks } from './boot-request.js';
import { badRequest, ComputeFault } from './errors.js';
import type { ComputeCaller } from './policy.js';

/** One port a boot gives each server: a new one on a network (maybe with its address), or the user's own. */
export interface PlannedPort {
  readonly network_id: string;
  readonly port_id?: string;
  readonly fixed_ip?: string;
  readonly tag?: string;
}

const conflict = (message: string) => new ComputeFault(409, message);

/**
 * The ports each server of a boot gets, checked as Nova's API checks the requested networks (validate_networks):
 * `none` none; nothing asked (below 2.37) or `auto`, one on the project's only network (409 when it has several;
 * `auto` with none, its auto-allocated network); a list, each named network or port after its checks.
 */
export async function planNetworks(
  d: NetworkDeps,
  caller: ComputeCaller,
  requested: RequestedNetworks | undefined,
  count: number,
): Promise<PlannedPort[]> {
  if (requested === 'none') return [];
  const project = caller.project;
  const isAdmin = caller.auth.isAdmin;
  if (requested === undefined || requested === 'auto' || !requested.length) {
    const nets = await availableNetworks(d, project, isAdmin);
    if (nets.length > 1) throw conflict('Multiple possible networks found, use a Network ID to be more specific.');
    if (nets.length === 1) return [{ network_id: nets[0].id }];
    if (requested !== 'auto') return [];
    const auto = await d.ports.autoAllocated(project).catch(() => undefined);
    if (!auto) throw badRequest(`Unable to automatically allocate a network for project ${project}`);
    return [{ network_id: auto }];
  }
  const planned: PlannedPort[] = [];
  const wanted: string[] = [];
  for (const r of requested) {
    if (r.port) {
      const port = await portById(d, r.port);
      if (!port || (!isAdmin && port.project_id !== project)) throw badRequest(`Port id ${r.port} could not be found.`);
      if (port.device_id) throw conflict(`Port ${r.port} is still in use.`);
      if (!(await fixedIpsCount(d, port.id))) throw badRequest(`Port ${r.port} requires a FixedIP in order to be used.`);
      if (count > 1) {
        throw badRequest(
          'Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.',
        );
      }
      planned.push({ network_id: port.network_id, port_id: port.id, ...(r.tag ? { tag: r.tag } : {}) });
      continue;
    }
    if (r.fixed_ip !== undefined && count > 1) throw badRequest('max_count cannot be greater than 1 if an fixed_ip is specified.');
    wanted.push(r.uuid!);
    planned.push({ network_id: r.uuid!, ...(r.fixed_ip !== undefined ? { fixed_ip: r.fixed_ip } : {}), ...(r.tag ? { tag: r.tag } : {}) });
  }
  if (wanted.length) {
    const found = await availableNetworks(d, project, isAdmin, wanted);
    const lost = [...new Set(wanted)].filter((id) => !found.some((n) => n.id === id));
    if (lost.length) throw badRequest(`Network ${lost.join(', ')} could not be found.`);
    for (const n of found) {
      // Nova's _check_external_network_attach: only admins put a server straight on an external network.
      if (n.external && !n.shared && !isAdmin) throw new ComputeFault(403, `It is not allowed to create an interface on external network ${n.id}`);
      if (!(await hasSubnet(d, n.id))) throw badRequest(`Network ${n.id} requires a subnet in order to boot instances on.`);
    }
  }
  return planned;
}

/** A refusal of the Networking service as Nova's API words it. */
export function networkFault(error: unknown): unknown {
  if (!(error instanceof NetworkRefusal)) return error;
  switch (error.type) {
    case 'OverQuota':
      return new ComputeFault(403, 'Maximum number of ports exceeded');
    case 'IpAddressInUse':
      // Nova's FixedIpAlreadyInUse, a 409 as os-interface answers it.
      return conflict(`Fixed IP ${/The IP address (\S+) is in use/.exec(error.message)?.[1] ?? ''} is already in use.`);
    case 'IpAddressGenerationFailure':
      // Nova's NoMoreFixedIps, a 400 as os-interface answers it.
      return badRequest(`No fixed IP addresses available for network: ${/network (\S+?)\.?$/.exec(error.message)?.[1] ?? ''}`);
    case 'SecurityGroupNotFound':
      return badRequest(`Unable to find security_group with name or id '${error.message.replace(/^Security group (.*) does not exist$/, '$1')}'`);
    case 'NoUniqueMatch':
      return conflict(error.message);
    default:
      return new ComputeFault(error.status >= 500 ? 500 : error.status, error.message);
  }
}

/**
 * Gives a new server its ports before its instance exists: each link written before a port is claimed and after one
 * is made, so a crash at any point leaves what the reconciler finds (a made port without a server is removed, a
 * claimed one released). On a refusal, what was done is undone and Nova's fault thrown.
 */
export async function allocatePorts(
  d: NetworkDeps,
  caller: ComputeCaller,
  instance: string,
  zone: string,
  plan: readonly PlannedPort[],
  securityGroups: readonly string[] | undefined,
  at: Date,
  firstPosition = 0,
): Promise<void> {
  const owner = `compute:${zone}`;
  const made: Array<{ id: string; preserve: boolean }> = [];
  try {
    for (const [position, p] of plan.entries()) {
      const link = { instance_uuid: instance, network_id: p.network_id, tag: p.tag ?? null, position: firstPosition + position, created_at: at };
      if (p.port_id) {
        // Two boots may have found the port free: the link (keyed by the port) and then the conditional claim let
        // one of them have it; the other answers Nova's PortInUse and leaves the winner's port alone.
        const inUse = conflict(`Port ${p.port_id} is still in use.`);
        try {
          await d.models.InstancePort.create({ ...link, port_id: p.port_id, preserve_on_delete: true });
        } catch (error) {
          if (error instanceof UniqueConstraintError) throw inUse;
          throw error;
        }
        if (!(await d.ports.claim(p.port_id, instance, owner))) {
          await d.models.InstancePort.destroy({ where: { port_id: p.port_id, instance_uuid: instance } });
          throw inUse;
        }
        made.push({ id: p.port_id, preserve: true });
        continue;
      }
      const id = await d.ports.create({
        project_id: caller.project,
        network_id: p.network_id,
        device_id: instance,
        device_owner: owner,
        binding_host_id: '',
        ...(p.fixed_ip !== undefined ? { fixed_ip: p.fixed_ip } : {}),
        // Nova's _clean_security_groups: only `default` asked is what Neutron gives anyway.
        ...(securityGroups?.length && !(securityGroups.length === 1 && securityGroups[0] === 'default') ? { security_groups: securityGroups } : {}),
      });
      made.push({ id, preserve: false });
      await d.models.InstancePort.create({ ...link, port_id: id, preserve_on_delete: false });
    }
  } catch (error) {
    await releasePorts(d, made).catch(() => {});
    throw networkFault(error);
  }
}

/** Undoes a server's ports: its own removed, the user's unbound (Nova's deallocate_for_instance). */
export async function releasePorts(d: NetworkDeps, ports: ReadonlyArray<{ id: string; preserve: boolean }>): Promise<void> {
  for (const p of ports) {
    if (p.preserve) await d.ports.update(p.id, { device_id: '', device_owner: '', binding_host_id: '' });
    else await d.ports.remove(p.id);
    await d.models.InstancePort.destroy({ where: { port_id: p.id } });
  }
}
