import { QueryTypes } from 'sequelize';
import { LibvirtConnection } from '../drivers/libvirt/connection.js';
import { PowerState } from '../drivers/libvirt/power-state.js';
import { TINY_IMAGE_ID } from '../http/images/index.js';
import { count as figure, note, percentile, report, scaled, until } from './report.js';
import { inBatches, instanceTimes, openBenchDatabase, startBenchCloud, type Servers } from './support.js';

const SERVERS = scaled(200, 10);
const TOTAL = SERVERS * 5;
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
 * phase waited out until every server's action has finished (task state cleared, power state and
 * status as the action leaves them), its end read from the rows' own `updated_at` so the polling
 * adds no time; vs the libvirt calls the host actors make for the same operations, straight through
 * the binding on the same hypervisors. Then, with 1,000 servers, `GET /servers/detail` with three of
 * Nova's filters vs the SQL the API ran for it, captured from the cloud and run as it is.
 */
export async function run(): Promise<void> {
  const { nova, token, hypervisors, stateDir, stop, capturedSql, databaseUrl } = await startBenchCloud('sa-', { captureSql: true });
  const sequelize = openBenchDatabase(stateDir, databaseUrl);
  try {
    const count = async (status: string) =>
      ((await nova.call('GET', `/v2.1/servers?status=${status}&limit=5000`, { token })).body as Servers).servers.length;
    const settle = async (status: string) => {
      await until(async () => {
        const n = await count(status);
        if (n < SERVERS) await new Promise((r) => setTimeout(r, 20));
        return n >= SERVERS;
      }, 600_000);
    };
    // Every one of `ids` done with its action: no task state, the power state and status it leads to.
    const finished = async (ids: readonly string[], status: string, power: number) => {
      const wanted = new Set(ids);
      await until(async () => {
        const r = await nova.call('GET', '/v2.1/servers/detail?limit=5000', { token, headers: { 'OpenStack-API-Version': 'compute 2.93' } });
        const done = (r.body as Servers).servers.filter(
          (s) => wanted.has(s.id as string) && s.status === status && s['OS-EXT-STS:task_state'] === null && s['OS-EXT-STS:power_state'] === power,
        ).length;
        if (done < wanted.size) await new Promise((res) => setTimeout(res, 50));
        return done >= wanted.size;
      }, 600_000);
    };

    const ids = await inBatches(SERVERS, CONCURRENCY, async (i) => {
      const r = await nova.call('POST', '/v2.1/servers', { token, body: { server: { name: `act-${i}`, imageRef: TINY_IMAGE_ID, flavorRef: '1' } } });
      if (r.status !== 202) throw new Error(`boot answered ${r.status}: ${JSON.stringify(r.body)}`);
      return (r.body as { server: { id: string } }).server.id;
    });
    await settle('ACTIVE');

    // Each call is answered once its task_state is committed, so the task state clears only when the host has done it.
    // The status alone would not tell: a reboot leaves ACTIVE as it found it.
    const phases: Array<[string, unknown, string, number]> = [
      ['stop', { 'os-stop': null }, 'SHUTOFF', PowerState.SHUTDOWN],
      ['start', { 'os-start': null }, 'ACTIVE', PowerState.RUNNING],
      ['reboot', { reboot: { type: 'SOFT' } }, 'ACTIVE', PowerState.RUNNING],
    ];
    const answered: number[] = [];
    const took: string[] = [];
    let elapsed = 0;
    for (const [name, body, status, power] of phases) {
      const p0 = Date.now();
      await inBatches(SERVERS, CONCURRENCY, async (i) => {
        const at = performance.now();
        const r = await nova.call('POST', `/v2.1/servers/${ids[i]}/action`, { token, body });
        if (r.status !== 202) throw new Error(`${name} answered ${r.status}: ${JSON.stringify(r.body)}`);
        answered.push(performance.now() - at);
      });
      await finished(ids, status, power);
      // The phase ends with the last server's last change, as its row records it (same machine's clock).
      const last = Math.max(...[...(await instanceTimes(sequelize, ids)).values()].map((t) => t.updated));
      elapsed += last - p0;
      took.push(`${name} ${Math.round(last - p0)} ms`);
    }
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
    await inBatches(SERVERS, CONCURRENCY, async (i) => {
      await shutDown(hosts[i % HOSTS], raw[i]);
      await hosts[i % HOSTS].ensureRunning(spec(i));
    });
    const rawElapsed = performance.now() - r0;
    for (const [i, uuid] of raw.entries()) await hosts[i % HOSTS].remove(uuid);
    await Promise.all(hosts.map((h) => h.close()));

    const actions = SERVERS * phases.length;
    report(
      `power actions through the API, each until finished (${SERVERS} servers, stop → start → reboot, ${CONCURRENCY} clients)`,
      actions / (elapsed / 1000),
      'actions/s',
      'the same libvirt calls through the binding',
      actions / (rawElapsed / 1000),
    );
    note(
      `phases from the first POST to the last server's finished action: ${took.join(', ')}; POST …/action answered in p50 ${percentile(answered, 50).toFixed(1)} ms, p95 ${percentile(answered, 95).toFixed(1)} ms`,
    );

    // ── three filters over 1,000 servers: 800 of them m1.small, named fill-…; the 200 above m1.tiny ──
    await inBatches(TOTAL - SERVERS, CONCURRENCY, async (i) => {
      const r = await nova.call('POST', '/v2.1/servers', {
        token,
        body: { server: { name: `fill-${i}`, imageRef: TINY_IMAGE_ID, flavorRef: i % 2 ? '2' : '1' } },
      });
      if (r.status !== 202) throw new Error(`boot answered ${r.status}: ${JSON.stringify(r.body)}`);
    });
    await until(async () => (await count('ACTIVE')) >= TOTAL, 600_000);
    const expected = (TOTAL - SERVERS) / 2;
    // At the SDK's microversion, as the openstack CLI asks.
    const path = '/v2.1/servers/detail?status=ACTIVE&flavor=2&name=^fill-';
    const list = async () => {
      const { servers } = (await nova.call('GET', path, { token, headers: { 'OpenStack-API-Version': 'compute 2.93' } })).body as Servers;
      if (servers.length !== expected) throw new Error(`filtered detail listed ${servers.length}`);
    };
    const filtered = await timed(list);
    const statements = await capturedSql!(list);
    const query = await timed(async () => {
      for (const sql of statements) await sequelize.query(sql, { type: QueryTypes.SELECT });
    });
    for (const sql of statements) note(`the API's SQL: ${sql.length > 400 ? `${sql.slice(0, 80)} … ${sql.slice(-320)}` : sql}`);
    const what = `the API's own SQL for it, captured and run as is (${statements.length} statement${statements.length === 1 ? '' : 's'})`;
    report(
      `GET /servers/detail p50, 3 filters (${figure(expected)} of ${figure(TOTAL)} match)`,
      percentile(filtered, 50),
      'ms',
      `${what}, p50`,
      percentile(query, 50),
    );
    report(
      `GET /servers/detail p95, 3 filters (${figure(expected)} of ${figure(TOTAL)} match)`,
      percentile(filtered, 95),
      'ms',
      `${what}, p95`,
      percentile(query, 95),
    );
  } finally {
    await sequelize.close();
    await stop();
  }
}
