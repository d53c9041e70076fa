import { QueryTypes } from 'sequelize';
import { TINY_IMAGE_ID } from '../http/images/index.js';
import { note, percentile, report, until } from './report.js';
import { inBatches, openBenchDatabase, startBenchCloud, treeRssMb } from './support.js';

const BOOTS = 200;
const TOTAL = 1_000;
const CONCURRENCY = 25;

/**
 * Boots through the API onto the simulated hosts vs define+start straight through the binding;
 * /servers/detail at 1,000 servers vs one Sequelize query; the RSS of the whole process tree.
 */
export async function run(): Promise<void> {
  const { child, stateDir, nova, token, opsPort, hypervisors, stop } = await startBenchCloud('sb-', { ops: true });
  try {
    // Let startup garbage settle before reading the resting footprint.
    await new Promise((r) => setTimeout(r, 5_000));
    const restMb = treeRssMb(child.pid!, stateDir);

    // ── 200 boots to ACTIVE ──
    const started = new Map<string, number>();
    const activeAt = new Map<string, number>();
    const t0 = performance.now();
    let polling = true;
    const poller = (async () => {
      while (polling) {
        // The summary list is light enough to poll often without slowing the boots it watches.
        const r = await nova.call('GET', '/v2.1/servers?status=ACTIVE&limit=5000', { token });
        const now = performance.now();
        for (const s of r.body.servers) if (!activeAt.has(s.id)) activeAt.set(s.id, now);
        await new Promise((res) => setTimeout(res, 50));
      }
    })();
    await inBatches(BOOTS, CONCURRENCY, async (i) => {
      const at = performance.now();
      const r = await nova.call('POST', '/v2.1/servers', { token, body: { server: { name: `bench-${i}`, imageRef: TINY_IMAGE_ID, flavorRef: '1' } } });
      if (r.status !== 202) throw new Error(`boot answered ${r.status}: ${JSON.stringify(r.body)}`);
      started.set(r.body.server.id, at);
    });
    await until(() => activeAt.size >= BOOTS, 600_000);
    const elapsed = performance.now() - t0;
    polling = false;
    await poller;
    const toActive = [...started].map(([id, at]) => activeAt.get(id)! - at).sort((a, b) => a - b);

    // Baseline: the same domains defined and started straight through the binding on the same hypervisors.
    const hosts = hypervisors(3);
    const raw = Array.from({ length: BOOTS }, () => crypto.randomUUID());
    const r0 = performance.now();
    const rawTimes = await inBatches(BOOTS, CONCURRENCY, async (i) => {
      const at = performance.now();
      await hosts[i % 3].ensureRunning({ uuid: raw[i], memoryMb: 512, vcpus: 1, type: 'test' });
      return performance.now() - at;
    });
    const rawElapsed = performance.now() - r0;
    for (const [i, uuid] of raw.entries()) await hosts[i % 3].remove(uuid);
    await Promise.all(hosts.map((h) => h.close()));
    rawTimes.sort((a, b) => a - b);
    report('boots to ACTIVE through the API (200 servers, 25 clients)', BOOTS / (elapsed / 1000), 'servers/s', 'define+start through the binding', BOOTS / (rawElapsed / 1000));
    report('time to ACTIVE p50', percentile(toActive, 50), 'ms', 'define+start p50', percentile(rawTimes, 50));
    report('time to ACTIVE p95', percentile(toActive, 95), 'ms', 'define+start p95', percentile(rawTimes, 95));

    // ── 1,000 servers ──
    await inBatches(TOTAL - BOOTS, CONCURRENCY, (i) => nova.call('POST', '/v2.1/servers', {
      token, body: { server: { name: `fill-${i}`, imageRef: TINY_IMAGE_ID, flavorRef: '1' } },
    }));
    await until(async () => {
      const r = await nova.call('GET', '/v2.1/servers?status=ACTIVE&limit=2000', { token });
      return r.body.servers.length >= TOTAL;
    }, 600_000);
    const detail: number[] = [];
    for (let i = 0; i < 60; i++) {
      const at = performance.now();
      const r = await nova.call('GET', '/v2.1/servers/detail', { token });
      if (r.body.servers.length !== TOTAL) throw new Error(`detail listed ${r.body.servers.length}`);
      if (i >= 10) detail.push(performance.now() - at);
    }
    detail.sort((a, b) => a - b);
    const sequelize = openBenchDatabase(stateDir);
    const [project] = await sequelize.query<{ project_id: string }>('SELECT project_id FROM instances LIMIT 1', { type: QueryTypes.SELECT });
    const query: number[] = [];
    for (let i = 0; i < 60; i++) {
      const at = performance.now();
      const rows = await sequelize.query('SELECT * FROM instances WHERE project_id = :p AND deleted_at IS NULL ORDER BY created_at DESC, uuid DESC',
        { replacements: { p: project.project_id }, type: QueryTypes.SELECT });
      if (rows.length !== TOTAL) throw new Error(`query read ${rows.length}`);
      if (i >= 10) query.push(performance.now() - at);
    }
    await sequelize.close();
    query.sort((a, b) => a - b);
    report('GET /servers/detail p50 (1,000 servers)', percentile(detail, 50), 'ms', 'one Sequelize query of the rows p50', percentile(query, 50));
    report('GET /servers/detail p95 (1,000 servers)', percentile(detail, 95), 'ms', 'one Sequelize query of the rows p95', percentile(query, 95));

    const ops = await fetch(`http://127.0.0.1:${opsPort}/healthz`).then((r) => r.json()).catch(() => undefined) as { activations?: number } | undefined;
    // Measured as the resting figure is, once the garbage of the lists above has settled (the actors stay active).
    await new Promise((r) => setTimeout(r, 5_000));
    const busyMb = treeRssMb(child.pid!, stateDir);
    report('RSS of the process tree with 1,000 servers, their actors active', busyMb, 'MB', 'same tree at rest, no servers', restMb);
    note(`${ops?.activations ?? '?'} actors active; tree = the Stratus process, 3 × (keeper, libvirtd, virsh)`);
  } finally {
    await stop();
  }
}
