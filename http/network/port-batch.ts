import { randomUUID } from 'node:crypto';
import { Op, type Transaction } from 'sequelize';
import type { NeutronNetworkRow, NeutronPortRow } from '../../models/index.js';
import { readRows } from '../../models/typed.js';
import type { AuthContext } from '../identity/index.js';
import { NeutronError, conflict } from './errors.js';
import { eui64, exhausted, freeAddresses, isSlaac, randomMac, type FixedIp } from './ipam.js';
import { formatIp, parseCidr } from './ip.js';
import { subnetsOf } from './port-store.js';
import { limitsOf } from './quotas.js';
import { ensureDefaultGroup, portSecurityGroups } from './security-groups.js';
import { serialized, type NetworkServices } from './services.js';

/** A port create that asks for no address and no MAC: the kind many arrive at once (a boot's), batched per network. */
export interface PlainCreate {
  readonly auth: AuthContext;
  readonly network: NeutronNetworkRow;
  /** The port as asked, less what the batch chooses (its MAC and groups) and the pairs' MACs. */
  readonly port: Omit<NeutronPortRow, 'mac_address' | 'security_groups' | 'allowed_address_pairs'>;
  readonly pairs: ReadonlyArray<{ ip_address: string; mac_address?: string }>;
  readonly askedGroups: readonly string[] | undefined;
}

interface Waiting {
  readonly create: PlainCreate;
  resolve(made: { row: NeutronPortRow; fixed: FixedIp[] }): void;
  reject(error: unknown): void;
}

/** Most creates one transaction takes. */
const BATCH = 64;
const MAC_ROUNDS = 16;

/**
 * Group commit for port creates: those that wait on one network while its transaction runs go together into the
 * next one, which decides each of them as one create would (quota, default group, MAC, addresses), with a handful of
 * statements for the whole batch. One that is refused (quota, no address left) is refused alone; the others commit.
 */
export class PortBatcher {
  private readonly queues = new Map<string, Waiting[]>();

  constructor(private readonly s: NetworkServices) {}

  create(create: PlainCreate): Promise<{ row: NeutronPortRow; fixed: FixedIp[] }> {
    return new Promise((resolve, reject) => {
      const id = create.network.id;
      const queue = this.queues.get(id);
      if (queue) {
        queue.push({ create, resolve, reject });
        return;
      }
      this.queues.set(id, [{ create, resolve, reject }]);
      void this.drain(id);
    });
  }

  private async drain(networkId: string): Promise<void> {
    for (;;) {
      const queue = this.queues.get(networkId)!;
      if (!queue.length) {
        this.queues.delete(networkId);
        return;
      }
      const batch = queue.splice(0, BATCH);
      const projects = [...new Set(batch.map((w) => w.create.port.project_id))];
      try {
        const outcomes = await serialized(this.s, [`network:${networkId}`, ...projects.map((p) => `project:${p}`)], (t) => this.decide(batch, t));
        outcomes.forEach((o, i) => (o instanceof Error ? batch[i].reject(o) : batch[i].resolve(o)));
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
  }

  private async decide(batch: readonly Waiting[], transaction: Transaction): Promise<Array<{ row: NeutronPortRow; fixed: FixedIp[] } | Error>> {
    const s = this.s;
    const m = s.models;
    const network = batch[0].create.network;
    const out: Array<{ row: NeutronPortRow; fixed: FixedIp[] } | Error | undefined> = batch.map(() => undefined);
    const live = () => batch.map((_, i) => i).filter((i) => out[i] === undefined);

    // Quotas: each project's creates past its limit are refused, in arrival order.
    for (const project of new Set(batch.map((w) => w.create.port.project_id))) {
      const limit = (await limitsOf(s, project, transaction)).port;
      if (limit < 0) continue;
      let room = limit - (await m.NeutronPort.count({ where: { project_id: project }, transaction }));
      for (const i of live()) {
        if (batch[i].create.port.project_id !== project) continue;
        if (room-- <= 0) out[i] = conflict('OverQuota', "Quota exceeded for resources: ['port'].");
      }
    }

    // Security groups: the project's default group made once; asked-for groups checked per port.
    const groups = new Map<number, string[]>();
    const defaults = new Map<string, string>();
    for (const i of live()) {
      const c = batch[i].create;
      try {
        if (c.askedGroups === undefined && c.port.port_security_enabled && !c.port.device_owner.startsWith('network:')) {
          if (!defaults.has(c.port.project_id))
            defaults.set(c.port.project_id, await ensureDefaultGroup(s, c.port.project_id, c.port.created_at, transaction));
          groups.set(i, [defaults.get(c.port.project_id)!]);
        } else {
          groups.set(
            i,
            await portSecurityGroups(
              s,
              c.auth,
              c.port.project_id,
              !!c.port.port_security_enabled,
              c.port.device_owner,
              c.askedGroups,
              c.port.created_at,
              transaction,
            ),
          );
        }
      } catch (error) {
        out[i] = error as Error;
      }
    }

    // MACs: drawn for all, the few already on the network (or drawn twice) drawn again.
    const macs = new Map<number, string>(live().map((i) => [i, randomMac()]));
    for (let round = 0; ; round++) {
      const drawn = [...macs.values()];
      const taken = new Set(
        (
          await readRows(m.NeutronPort, {
            attributes: ['mac_address'],
            where: { network_id: network.id, mac_address: { [Op.in]: drawn } },
            transaction,
          })
        ).map((r) => r.mac_address),
      );
      const seen = new Set<string>();
      const again = [...macs].filter(([, mac]) => taken.has(mac) || seen.has(mac) || (seen.add(mac), false));
      if (!again.length) break;
      if (round >= MAC_ROUNDS) {
        for (const [i] of again)
          out[i] = new NeutronError(503, 'MacAddressGenerationFailure', `Unable to generate unique mac on network ${network.id}.`);
        for (const [i] of again) macs.delete(i);
        break;
      }
      for (const [i] of again) macs.set(i, randomMac());
    }

    // Addresses: one IPv4 from the first subnets with room; every SLAAC subnet's; one IPv6 from the first other one with room.
    const subnets = await subnetsOf(s, network.id, transaction);
    const fixed = new Map<number, FixedIp[]>(live().map((i) => [i, []]));
    const v4 = subnets.filter((x) => Number(x.ip_version) === 4);
    let wanting = live();
    for (const subnet of v4) {
      if (!wanting.length) break;
      const free = await freeAddresses(s, subnet, wanting.length, transaction);
      wanting.splice(0, free.length).forEach((i, j) => fixed.get(i)!.push({ subnet_id: subnet.id, ip_address: free[j] }));
    }
    if (v4.length) for (const i of wanting) out[i] = exhausted(network.id);
    wanting = live();
    for (const subnet of subnets.filter((x) => Number(x.ip_version) === 6)) {
      if (isSlaac(subnet)) {
        const c = parseCidr(subnet.cidr)!;
        for (const i of live()) fixed.get(i)!.push({ subnet_id: subnet.id, ip_address: formatIp(6, eui64(c, macs.get(i)!)) });
        continue;
      }
      if (!wanting.length) continue;
      const free = await freeAddresses(s, subnet, wanting.length, transaction);
      wanting.splice(0, free.length).forEach((i, j) => fixed.get(i)!.push({ subnet_id: subnet.id, ip_address: free[j] }));
    }

    const rows = live().map((i) => {
      const c = batch[i].create;
      const mac = macs.get(i)!;
      const row: NeutronPortRow = {
        ...c.port,
        id: c.port.id || randomUUID(),
        mac_address: mac,
        security_groups: JSON.stringify(groups.get(i) ?? []),
        allowed_address_pairs: JSON.stringify(c.pairs.map((p) => ({ ip_address: p.ip_address, mac_address: p.mac_address ?? mac }))),
      };
      out[i] = { row, fixed: fixed.get(i)! };
      return { row, fixed: fixed.get(i)! };
    });
    await m.NeutronPort.bulkCreate(
      rows.map((r) => r.row),
      { transaction },
    );
    await m.NeutronIpAllocation.bulkCreate(
      rows.flatMap((r) => r.fixed.map((f) => ({ ...f, network_id: network.id, port_id: r.row.id }))),
      { transaction },
    );
    return out as Array<{ row: NeutronPortRow; fixed: FixedIp[] } | Error>;
  }
}
