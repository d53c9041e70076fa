import { randomUUID } from 'node:crypto';
import { formatIp } from '../http/network/ip.js';
import type { NeutronPortRow } from '../models/index.js';
import { readRows } from '../models/typed.js';
import { startNetworkServer } from '../test/helpers/network.js';
import { count, note, percentile, report, scaled } from './report.js';

const CONCURRENCY = 20;

/** Runs `total` jobs, `CONCURRENCY` at a time; the elapsed milliseconds. */
async function pool(total: number, job: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < total) await job(next++);
    }),
  );
  return performance.now() - t0;
}

interface Made {
  network: { id: string };
  subnet: { id: string };
  ports: unknown[];
}

/**
 * Ports created through the API (checks, policy, quota, an address and a MAC chosen in a serialized transaction)
 * vs inserting the same rows (the port and its address) with one Sequelize query each, at the same concurrency;
 * then `GET /v2.0/ports` of 10,000 ports vs one query of the same rows.
 */
export async function run(): Promise<void> {
  const n = await startNetworkServer('bench-networks');
  try {
    const m = n.identity.db.models;
    const call = async (method: string, path: string, body?: unknown): Promise<Made> => {
      const r = await n.neutron.call(method, path, { token: n.admin, body });
      if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as Made;
    };
    const project = await n.projectId('admin');
    await call('PUT', `/v2.0/quotas/${project}`, { quota: { port: -1 } });
    const net = (await call('POST', '/v2.0/networks', { network: { name: 'bench' } })).network;
    await call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.0.0.0/16' } });
    // The baseline's rows go to a network of their own, so its addresses meet none the API chose.
    const rowNet = (await call('POST', '/v2.0/networks', { network: { name: 'rows' } })).network;
    const rowSubnet = (await call('POST', '/v2.0/subnets', { subnet: { network_id: rowNet.id, ip_version: 4, cidr: '10.1.0.0/16' } })).subnet;
    // The baseline's MACs are counted, not drawn: 10,000 random ones would meet in 24 bits.
    const macOf = (i: number) => `fa:16:3e:${[16, 8, 0].map((b) => ((i >> b) & 255).toString(16).padStart(2, '0')).join(':')}`;
    const portRow = (id: string, at: Date, i: number): NeutronPortRow => ({
      id,
      project_id: project,
      network_id: rowNet.id,
      name: '',
      description: '',
      mac_address: macOf(i),
      admin_state_up: true,
      status: 'DOWN',
      device_id: '',
      device_owner: '',
      port_security_enabled: true,
      binding_host_id: '',
      allowed_address_pairs: '[]',
      security_groups: '[]',
      revision_number: 1,
      created_at: at,
      updated_at: at,
    });
    const address = (i: number) => formatIp(4, 0x0a010002n + BigInt(i));

    const api = scaled(2000, 100);
    const apiMs = await pool(api, async () => {
      await call('POST', '/v2.0/ports', { port: { network_id: net.id } });
    });
    const rows = api;
    const rowsMs = await pool(rows, async (i) => {
      const id = randomUUID();
      await m.NeutronPort.create(portRow(id, new Date(), i));
      await m.NeutronIpAllocation.create({ subnet_id: rowSubnet.id, ip_address: address(i), network_id: rowNet.id, port_id: id });
    });
    report(
      `ports created through the API (${count(api)}, ${CONCURRENCY} at a time)`,
      api / (apiMs / 1000),
      'ports/s',
      'the same rows inserted by one Sequelize query each',
      rows / (rowsMs / 1000),
    );

    // Up to 10,000 ports in all, the rest inserted in bulk.
    const total = scaled(10_000, 500);
    const extra = Math.max(0, total - (await m.NeutronPort.count()));
    for (let i = 0; i < extra; i += 500) {
      const batch = Array.from({ length: Math.min(500, extra - i) }, (_, j) => portRow(randomUUID(), new Date(), rows + i + j));
      await m.NeutronPort.bulkCreate(batch);
      await m.NeutronIpAllocation.bulkCreate(
        batch.map((p, j) => ({ subnet_id: rowSubnet.id, ip_address: address(rows + i + j), network_id: rowNet.id, port_id: p.id })),
      );
    }
    const listed = (await call('GET', '/v2.0/ports')).ports.length;
    note(`${count(listed)} ports listed`);
    const apiTimes: number[] = [];
    const queryTimes: number[] = [];
    for (let i = 0; i < 15; i++) {
      let t0 = performance.now();
      await call('GET', '/v2.0/ports');
      apiTimes.push(performance.now() - t0);
      t0 = performance.now();
      await readRows(m.NeutronPort, { order: [['id', 'ASC']] });
      queryTimes.push(performance.now() - t0);
    }
    apiTimes.sort((a, b) => a - b);
    queryTimes.sort((a, b) => a - b);
    report(
      `GET /v2.0/ports of ${count(listed)} ports, p50`,
      percentile(apiTimes, 50),
      'ms',
      'one query of the same port rows',
      percentile(queryTimes, 50),
    );
  } finally {
    await n.done();
  }
}
