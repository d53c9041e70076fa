import { QueryTypes } from 'sequelize';
import { TINY_IMAGE_ID } from '../http/images/index.js';
import { count, note, percentile, report, scaled, until } from './report.js';
import { inBatches, instanceTimes, openBenchDatabase, startBenchCloud, type Servers, treeRssMb } from './support.js';

const BOOTS = scaled(200, 10);
const TOTAL = BOOTS * 5;
const CONCURRENCY = 25;

/**
 * Boots through the API onto the simulated hosts vs define+start straight through the binding, each
 * server's time to ACTIVE from its POST being sent to the `launched_at` its row records (the same
 * machine's clock), so no polling lag counts on either side; /servers/detail at 1,000 servers vs the
 * SQL the API ran for it, captured from the cloud and run as it is; the RSS of the whole process tree.
 */
export async function run(): Promise<void> {
  const { child, stateDir, nova, token, opsPort, hypervisors, stop, capturedSql, databaseUrl } = await startBenchCloud('sb-', {
    ops: true,
    captureSql: true,
  });
  const sequelize = openBenchDatabase(stateDir, databaseUrl);
  try {
    // Let startup garbage settle before reading the resting footprint.
    await new Promise((r) => setTimeout(r, 5_000));
    const restMb = treeRssMb(child.pid!, stateDir);

    // ── 200 boots to ACTIVE ──
    const activeCount = async () => ((await nova.call('GET', '/v2.1/servers?status=ACTIVE&limit=5000', { token })).body as Servers).servers.length;
    const started = new Map<string, number>();
    const t0 = Date.now();
    await inBatches(BOOTS, CONCURRENCY, async (i) => {
      const at = Date.now();
      const r = await nova.call('POST', '/v2.1/servers', {
        token,
        body: { server: { name: `bench-${i}`, imageRef: TINY_IMAGE_ID, flavorRef: '1' } },
      });
      if (r.status !== 202) throw new Error(`boot answered ${r.status}: ${JSON.stringify(r.body)}`);
      started.set((r.body as { server: { id: string } }).server.id, at);
    });
    // Polled only to know when to read the rows: the figures come from the rows' own timestamps.
    await until(async () => {
      const n = await activeCount();
      if (n < BOOTS) await new Promise((r) => setTimeout(r, 50));
      return n >= BOOTS;
    }, 600_000);
    const times = await instanceTimes(sequelize, [...started.keys()]);
    const launched = (id: string) => {
      const at = times.get(id)?.launched;
      if (at === undefined) throw new Error(`server ${id} has no launched_at`);
      return at;
    };
    const elapsed = Math.max(...[...started.keys()].map(launched)) - t0;
    const toActive = [...started].map(([id, at]) => launched(id) - at).sort((a, b) => a - b);

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
    report(
      `boots to ACTIVE through the API (${count(BOOTS)} servers, ${CONCURRENCY} clients)`,
      BOOTS / (elapsed / 1000),
      'servers/s',
      'define+start through the binding',
      BOOTS / (rawElapsed / 1000),
    );
    report('time to ACTIVE p50 (POST sent to launched_at)', percentile(toActive, 50), 'ms', 'define+start p50', percentile(rawTimes, 50));
    report('time to ACTIVE p95 (POST sent to launched_at)', percentile(toActive, 95), 'ms', 'define+start p95', percentile(rawTimes, 95));

    // ── 1,000 servers ──
    await inBatches(TOTAL - BOOTS, CONCURRENCY, async (i) => {
      const r = await nova.call('POST', '/v2.1/servers', { token, body: { server: { name: `fill-${i}`, imageRef: TINY_IMAGE_ID, flavorRef: '1' } } });
      if (r.status !== 202) throw new Error(`boot answered ${r.status}: ${JSON.stringify(r.body)}`);
    });
    await until(async () => {
      const n = await activeCount();
      if (n < TOTAL) await new Promise((r) => setTimeout(r, 50));
      return n >= TOTAL;
    }, 600_000);
    const list = async () => {
      const { servers } = (await nova.call('GET', '/v2.1/servers/detail', { token })).body as Servers;
      if (servers.length !== TOTAL) throw new Error(`detail listed ${servers.length}`);
    };
    const statements = await capturedSql!(list);
    const detail: number[] = [];
    const query: number[] = [];
    for (let i = 0; i < 60; i++) {
      const at = performance.now();
      await list();
      if (i >= 10) detail.push(performance.now() - at);
    }
    for (let i = 0; i < 60; i++) {
      const at = performance.now();
      for (const sql of statements) await sequelize.query(sql, { type: QueryTypes.SELECT });
      if (i >= 10) query.push(performance.now() - at);
    }
    detail.sort((a, b) => a - b);
    query.sort((a, b) => a - b);
    for (const sql of statements) note(`the API's SQL: ${sql.length > 400 ? `${sql.slice(0, 80)} … ${sql.slice(-320)}` : sql}`);
    const what = `the API's own SQL for it, captured and run as is (${statements.length} statement${statements.length === 1 ? '' : 's'})`;
    report(`GET /servers/detail p50 (${count(TOTAL)} servers)`, percentile(detail, 50), 'ms', `${what}, p50`, percentile(query, 50));
    report(`GET /servers/detail p95 (${count(TOTAL)} servers)`, percentile(detail, 95), 'ms', `${what}, p95`, percentile(query, 95));

    const ops = (await fetch(`http://127.0.0.1:${opsPort}/healthz`)
      .then((r) => r.json())
      .catch(() => undefined)) as { activations?: number } | undefined;
    // Measured as the resting figure is, once the garbage of the lists above has settled (the actors stay active).
    await new Promise((r) => setTimeout(r, 5_000));
    const busyMb = treeRssMb(child.pid!, stateDir);
    report(`RSS of the process tree with ${count(TOTAL)} servers, their actors active`, busyMb, 'MB', 'same tree at rest, no servers', restMb);
    note(`${ops?.activations ?? '?'} actors active; tree = the Stratus process, 3 × (keeper, libvirtd, virsh)`);
  } finally {
    await sequelize.close();
    await stop();
  }
}
