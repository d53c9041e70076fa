import { Op, literal } from 'sequelize';
import type { Database } from '../models/database.js';
import { readRows } from '../models/typed.js';
import type { GuestInterface } from '../drivers/libvirt/domain-xml.js';
import { listLinks } from '../drivers/dataplane/links.js';
import type { DataPlaneNames } from '../drivers/dataplane/names.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A real guest's NICs: one per port the compute service attached to it, in the order the boot asked for them, each
 * the tap the data plane makes for the port. As Nova's compute does before it spawns, the ports are bound to the host
 * first (the data plane plumbs the ports bound to its hosts); it follows the tables on its own clock, so the taps are
 * waited for (bounded): libvirt opens a tap it does not manage as it finds it, and fails when there is none.
 */
export async function guestInterfaces(db: Database, names: DataPlaneNames, host: string, uuid: string, waitMs: number): Promise<GuestInterface[]> {
  const links = await readRows(db.models.InstancePort, { order: [['position', 'ASC']], where: { instance_uuid: uuid } });
  if (!links.length) return [];
  const ids = links.map((l) => l.port_id);
  // Bound is up, as the Networking API reports a port its agent wired (http/network/compute-ports.ts).
  await db.models.NeutronPort.update(
    { binding_host_id: host, status: 'ACTIVE', revision_number: literal('revision_number + 1'), updated_at: new Date() },
    { where: { id: { [Op.in]: ids }, binding_host_id: { [Op.ne]: host } } },
  );
  const ports = await readRows(db.models.NeutronPort, { where: { id: { [Op.in]: ids } } });
  const networkIds = [...new Set(ports.map((p) => p.network_id))];
  const networks = await readRows(db.models.NeutronNetwork, { where: { id: { [Op.in]: networkIds } } });
  const nics = links.flatMap((l) => {
    const port = ports.find((p) => p.id === l.port_id);
    const network = port && networks.find((n) => n.id === port.network_id);
    return port && network ? [{ mac: port.mac_address, tap: names.iface('port', port.id), mtu: network.mtu }] : [];
  });
  const deadline = Date.now() + waitMs;
  for (;;) {
    const present = new Set((await listLinks(names.hostNamespace, names.interfacePrefix)).map((l) => l.ifname));
    const missing = nics.filter((n) => !present.has(n.tap));
    if (!missing.length) return nics;
    if (Date.now() > deadline) throw new Error(`the data plane made no tap ${missing.map((m) => m.tap).join(', ')} for instance ${uuid}`);
    await sleep(200);
  }
}
