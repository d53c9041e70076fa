import { QueryTypes } from 'sequelize';
import { LibvirtConnection } from '../drivers/libvirt/connection.js';
import { PowerState } from '../drivers/libvirt/power-state.js';
import { TINY_IMAGE_ID } from '../http/images/index.js';
import { note, percentile, report, until } from './report.js';
import { inBatches, openBenchDatabase, startBenchCloud } from './support.js';

const SERVERS = 200;
const TOTAL = 1_000;
const CONCURRENCY = 25;
const HOSTS = 3;
const SAMPLES = 50;

/** Latencies of `work`, after ten warm-up rounds, sorted. */
async function timed(work: () => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < SAMPLES + 10; i++) {
    const at = performance.now();
    await work();
    if (i >= 10) times.push(performance.now() - at);
  }
  return times.sort((a, b) => a - b);
}

/**
 * 200 servers through stop → start → reboot (SOFT) on the simulated hosts, through the API, each
 * phase waited out until every server shows its result; vs the libvirt calls the host actors make
 * for the same operations, straight through the binding on the same hypervisors. Then, with 1,000
 * servers, `GET /servers/detail` with three of Nova's filters vs one Sequelize query of the same rows.
 */
export async function run(): Promise<void> {
  const { nova, token, hypervisors, stateDir, stop } = await startBenchCloud('sa-');
  try {
    const count = async (status: string) =>
      (await nova.call('GET', `/v2.1/servers?status=${status}&limit=5000`, { token })).body.servers.length as number;
    const settle = async (status: string) => {
      await until(async () => { const n = await count(status); if (n < SERVERS) await new Promise((r) => setTimeout(r, 20)); return n >= SERVERS; }, 600_000);
    };

    const ids = await inBatches(SERVERS, CONCURRENCY, async (i) => {
      const r = await nova.call('POST', '/v2.1/servers', { token, body: { server: { name: `act-${i}`, imageRef: TINY_IMAGE_ID, flavorRef: '1' } } });
      if (r.status !== 202) throw new Error(`boot answered ${r.status}: ${JSON.stringify(r.body)}`);
      return r.body.server.id as string;
    });
    await settle('ACTIVE');

    // Each call is answered once its task_state is committed: a server shows the phase's status only once its host has done it.
    const phases: Array<[string, unknown, string]> = [['stop', { 'os-stop': null }, 'SHUTOFF'], ['start', { 'os-start': null }, 'ACTIVE'], ['reboot', { reboot: { type: 'SOFT' } }, 'ACTIVE']];
    const answered: number[] = [];
    const took: string[] = [];
    const t0 = performance.now();
    for (const [name, body, status] of phases) {
      const p0 = performance.now();
      await inBatches(SERVERS, CONCURRENCY, async (i) => {
        const at = performance.now();
        const r = await nova.call('POST', `/v2.1/servers/${ids[i]}/action`, { token, body });
        if (r.status !== 202) throw new Error(`${name} answered ${r.status}: ${JSON.stringify(r.body)}`);
        answered.push(performance.now() - at);
      });
      await settle(status);
      took.push(`${name} ${Math.round(performance.now() - p0)} ms`);
    }
    const elapsed = performance.now() - t0;
    answered.sort((a, b) => a - b);

    // Baseline: what the host actors ask libvirt for each operation, on fresh domains of the same hypervisors.
    const hosts = hypervisors(HOSTS);
    const raw = Array.from({ length: SERVERS }, () => crypto.randomUUID());
    const spec = (i: number) => ({ uuid: raw[i], memoryMb: 512, vcpus: 1, type: 'test' as const });
    await inBatches(SERVERS, CONCURRENCY, (i) => hosts[i % HOSTS].ensureRunning(spec(i)));
    const shutDown = async (h: LibvirtConnection, uuid: string) => {
      const before = await h.status(uuid);
      const after = before?.powerState === PowerState.RUNNING ? await h.shutdown(uuid) : before;
      if (after?.powerState !== PowerState.SHUTDOWN) throw new Error(`domain ${uuid} did not shut down`);
    };
    const r0 = performance.now();
    await inBatches(SERVERS, CONCURRENCY, (i) => shutDown(hosts[i % HOSTS], raw[i]));
    await inBatches(SERVERS, CONCURRENCY, (i) => hosts[i % HOSTS].ensureRunning(spec(i)));
    await inBatches(SERVERS, CONCURRENCY, async (i) => { await shutDown(hosts[i % HOSTS], raw[i]); await hosts[i % HOSTS].ensureRunning(spec(i)); });
    const rawElapsed = performance.now() - r0;
    for (const [i, uuid] of raw.entries()) await hosts[i % HOSTS].remove(uuid);
    await Promise.all(hosts.map((h) => h.close()));

    const actions = SERVERS * phases.length;
    report(`power actions through the API (${SERVERS} servers, stop → start → reboot, ${CONCURRENCY} clients)`, actions / (elapsed / 1000), 'actions/s',
      'the same libvirt calls through the binding', actions / (rawElapsed / 1000));
    note(`phases until every server showed the result: ${took.join(', ')}; POST …/action answered in p50 ${percentile(answered, 50).toFixed(1)} ms, p95 ${percentile(answered, 95).toFixed(1)} ms`);

    // ── three filters over 1,000 servers: 800 of them m1.small, named fill-…; the 200 above m1.tiny ──
    await inBatches(TOTAL - SERVERS, CONCURRENCY, (i) => nova.call('POST', '/v2.1/servers', {
      token, body: { server: { name: `fill-${i}`, imageRef: TINY_IMAGE_ID, flavorRef: i % 2 ? '2' : '1' } },
    }));
    await until(async () => (await count('ACTIVE')) >= TOTAL, 600_000);
    const expected = (TOTAL - SERVERS) / 2;
    // At the SDK's microversion: status and flavor go to SQL, the name's regular expression to the rows.
    const filtered = await timed(async () => {
      const r = await nova.call('GET', '/v2.1/servers/detail?status=ACTIVE&flavor=2&name=^fill-', { token, headers: { 'OpenStack-API-Version': 'compute 2.93' } });
      if (r.body.servers.length !== expected) throw new Error(`filtered detail listed ${r.body.servers.length}`);
    });
    const sequelize = openBenchDatabase(stateDir);
    try {
      const [{ project_id: project }] = await sequelize.query<{ project_id: string }>('SELECT project_id FROM instances LIMIT 1', { type: QueryTypes.SELECT });
      const query = await timed(async () => {
        const rows = await sequelize.query(
          `SELECT * FROM instances WHERE project_id = :project AND deleted_at IS NULL AND vm_state = 'active' AND flavor_id = '2'
             AND display_name LIKE 'fill-%' ORDER BY created_at DESC, uuid DESC`,
          { replacements: { project }, type: QueryTypes.SELECT });
        if (rows.length !== expected) throw new Error(`query read ${rows.length}`);
      });
      report(`GET /servers/detail p50, 3 filters (${expected} of 1,000 match)`, percentile(filtered, 50), 'ms', 'one Sequelize query, same conditions, p50', percentile(query, 50));
      report(`GET /servers/detail p95, 3 filters (${expected} of 1,000 match)`, percentile(filtered, 95), 'ms', 'one Sequelize query, same conditions, p95', percentile(query, 95));
    } finally {
      await sequelize.close();
    }
  } finally {
    await stop();
  }
}
