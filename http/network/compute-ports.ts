import { randomUUID } from 'node:crypto';
import { Op } from 'sequelize';
import type { NeutronPortRow } from '../../models/index.js';
import { readByPk, readRows } from '../../models/typed.js';
import { NetworkRefusal, type PortRequest, type PortWriter } from '../../services/network/index.js';
import { dbBool } from '../db-values.js';
import type { AuthContext } from '../identity/index.js';
import { NeutronError } from './errors.js';
import { allocate, uniqueMac } from './ipam.js';
import { PortBatcher } from './port-batch.js';
import { deletePort, subnetsOf } from './port-store.js';
import { checkQuota } from './quotas.js';
import { ensureDefaultGroup, portSecurityGroups } from './security-groups.js';
import { autoAllocation } from './routes/auto-allocated-topology.js';
import { now, serialized, type NetworkServices } from './services.js';

// The Networking service's port writes for the compute service (Nova's calls to Neutron, in process): the same
// rules as the API's (quota, MAC, addresses, default security group), under the same per-network turns.

/** The compute service acts with Nova's service role: it may bind ports and use any of the project's groups. */
const serviceAuth = (project: string): AuthContext =>
  ({ token: '', claims: {}, userId: 'nova', projectId: project, roles: ['admin', 'member', 'reader'], isAdmin: true }) as unknown as AuthContext;

const refusal = (error: unknown): unknown => (error instanceof NeutronError ? new NetworkRefusal(error.status, error.type, error.message) : error);

const translated =
  <A extends unknown[], R>(work: (...args: A) => Promise<R>) =>
  async (...args: A): Promise<R> => {
    try {
      return await work(...args);
    } catch (error) {
      throw refusal(error);
    }
  };

export function computePorts(s: NetworkServices): PortWriter {
  const topology = autoAllocation(s);
  const batcher = new PortBatcher(s);

  const create = async (r: PortRequest): Promise<string> => {
    const network = await readByPk(s.models.NeutronNetwork, r.network_id);
    if (!network) throw new NeutronError(404, 'NetworkNotFound', `Network ${r.network_id} could not be found.`);
    const auth = serviceAuth(r.project_id);
    const at = now(s);
    const portSecurity = dbBool(network.port_security_enabled);
    const asked = r.security_groups === undefined ? undefined : await securityGroupIds(r.project_id, r.security_groups);
    const base = {
      id: randomUUID(),
      project_id: r.project_id,
      network_id: network.id,
      name: '',
      description: '',
      admin_state_up: true,
      status: 'DOWN',
      device_id: r.device_id,
      device_owner: r.device_owner,
      port_security_enabled: portSecurity,
      binding_host_id: r.binding_host_id,
      revision_number: 1,
      created_at: at,
      updated_at: at,
    };
    // A port without security the project's default group cannot hold (Neutron skips it too).
    const groups = portSecurity ? asked : asked?.length ? asked : undefined;
    if (r.fixed_ip === undefined) {
      const made = await batcher.create({ auth, network, askedGroups: groups, pairs: [], port: base });
      return made.row.id;
    }
    return serialized(s, [`network:${network.id}`, `project:${r.project_id}`], async (transaction) => {
      await checkQuota(s, r.project_id, 'port', 1, transaction);
      const mac = await uniqueMac(s, network.id, transaction);
      const sg = await portSecurityGroups(s, auth, r.project_id, portSecurity, r.device_owner, groups, at, transaction);
      const fixed = await allocate(
        s,
        transaction,
        { network_id: network.id, mac_address: mac, device_owner: r.device_owner },
        await subnetsOf(s, network.id, transaction),
        [{ ip_address: r.fixed_ip }],
      );
      const port: NeutronPortRow = { ...base, mac_address: mac, allowed_address_pairs: '[]', security_groups: JSON.stringify(sg) };
      await s.models.NeutronPort.create(port, { transaction });
      await s.models.NeutronIpAllocation.bulkCreate(
        fixed.map((f) => ({ ...f, network_id: network.id, port_id: port.id })),
        { transaction },
      );
      return port.id;
    });
  };

  const update = async (id: string, changes: { device_id?: string; device_owner?: string; binding_host_id?: string }): Promise<void> => {
    const port = await readByPk(s.models.NeutronPort, id);
    if (!port) return;
    await serialized(s, [`network:${port.network_id}`], async (transaction) => {
      const current = await readByPk(s.models.NeutronPort, id, { transaction });
      if (!current) return;
      const bound = changes.binding_host_id ?? current.binding_host_id;
      await s.models.NeutronPort.update(
        {
          ...changes,
          // A bound port is up, as Neutron reports once its agent wired it; an unbound one is down.
          status: bound ? 'ACTIVE' : 'DOWN',
          revision_number: Number(current.revision_number) + 1,
          updated_at: now(s),
        },
        { where: { id }, transaction },
      );
    });
  };

  const claim = async (id: string, device_id: string, device_owner: string): Promise<boolean> => {
    const port = await readByPk(s.models.NeutronPort, id);
    if (!port || port.device_id) return false;
    return serialized(s, [`network:${port.network_id}`], async (transaction) => {
      // The condition, not the read above, decides: a claim that committed meanwhile left a device_id.
      const [changed] = await s.models.NeutronPort.update(
        { device_id, device_owner, revision_number: Number(port.revision_number) + 1, updated_at: now(s) },
        { where: { id, device_id: '' }, transaction },
      );
      return changed > 0;
    });
  };

  const setSecurityGroups = async (id: string, groups: readonly string[]): Promise<void> => {
    const port = await readByPk(s.models.NeutronPort, id);
    if (!port) return;
    await serialized(s, [`network:${port.network_id}`], async (transaction) => {
      const current = await readByPk(s.models.NeutronPort, id, { transaction });
      if (!current) return;
      const ids = await portSecurityGroups(
        s,
        serviceAuth(current.project_id),
        current.project_id,
        dbBool(current.port_security_enabled),
        current.device_owner,
        groups,
        now(s),
        transaction,
      );
      await s.models.NeutronPort.update(
        { security_groups: JSON.stringify(ids), revision_number: Number(current.revision_number) + 1, updated_at: now(s) },
        { where: { id }, transaction },
      );
    });
  };

  const remove = async (id: string): Promise<void> => {
    const port = await readByPk(s.models.NeutronPort, id);
    if (!port) return;
    await serialized(s, [`network:${port.network_id}`], async (transaction) => {
      await s.models.NeutronFloatingIp.update(
        { port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN' },
        { where: { port_id: id }, transaction },
      );
      await deletePort(s, id, transaction);
    });
  };

  const securityGroupIds = async (project: string, namesOrIds: readonly string[]): Promise<string[]> => {
    const wanted = [...new Set(namesOrIds)];
    // The project's default group exists from its first use; asked for by name before that, it is made now.
    if (wanted.includes('default')) await serialized(s, [`project:${project}`], (transaction) => ensureDefaultGroup(s, project, now(s), transaction));
    const rows = await readRows(s.models.NeutronSecurityGroup, {
      attributes: ['id', 'name'],
      where: { project_id: project, [Op.or]: [{ id: { [Op.in]: wanted } }, { name: { [Op.in]: wanted } }] },
    });
    return wanted.map((w) => {
      const byId = rows.find((g) => g.id === w);
      if (byId) return byId.id;
      const named = rows.filter((g) => g.name === w);
      if (named.length === 1) return named[0].id;
      if (named.length > 1)
        throw new NeutronError(409, 'NoUniqueMatch', `Multiple security_group matches found for name '${w}', use an ID to be more specific.`);
      throw new NeutronError(404, 'SecurityGroupNotFound', `Security group ${w} does not exist`);
    });
  };

  const autoAllocated = async (project: string): Promise<string | undefined> => {
    // The project's own network, else its auto-allocated topology (made now); none without a default external network.
    const own = await readRows(s.models.NeutronNetwork, { where: { project_id: project, shared: false, external: false }, limit: 1 });
    if (own[0]) return own[0].id;
    return topology.getOrCreate(project).catch((error: unknown) => {
      if (error instanceof NeutronError && error.type === 'AutoAllocationFailure') return undefined;
      throw error;
    });
  };

  return {
    create: translated(create),
    update: translated(update),
    claim: translated(claim),
    setSecurityGroups: translated(setSecurityGroups),
    remove: translated(remove),
    securityGroupIds: translated(securityGroupIds),
    autoAllocated: translated(autoAllocated),
  };
}
