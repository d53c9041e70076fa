import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Sequelize, QueryTypes } from 'sequelize';
import { LibvirtConnection } from '../drivers/libvirt/connection.js';
import { freePort } from '../test/helpers/cloud-process.js';
import { ADMIN_PASSWORD, client } from '../test/helpers/identity.js';
import { TINY_IMAGE_ID } from '../http/images/index.js';
import { note, percentile, report, until } from './report.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const BOOTS = 200;
const TOTAL = 1_000;
const CONCURRENCY = 25;

const rssKb = (pid: number) => {
  try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0); } catch { return 0; }
};

/** The cloud's process and every process of its simulated hypervisors (detached, so not its children). */
function treeRssMb(pid: number, stateDir: string): number {
  const pids = [pid];
  const hv = join(stateDir, 'hv');
  for (const d of existsSync(hv) ? readdirSync(hv) : []) {
    pids.push(Number(readFileSync(join(hv, d, 'keeper.pid'), 'utf8')));
    pids.push(...readFileSync(join(hv, d, 'ready'), 'utf8').trim().split(' ').map(Number));
  }
  return pids.reduce((kb, p) => kb + rssKb(p), 0) / 1024;
}

async function inBatches<T>(count: number, concurrency: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) { const i = next++; results[i] = await work(i); }
  }));
  return results;
}

/**
 * Boots through the API onto the simulated hosts vs define+start straight through the binding;
 * /servers/detail at 1,000 servers vs one Sequelize query; the RSS of the whole process tree.
 */
export async function run(): Promise<void> {
  execFileSync(process.execPath, [join(root, 'bin', 'build-if-stale.mjs')], { stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'sb-'));
  const stateDir = join(dir, 's');
  const ports = { identity: await freePort(), compute: await freePort(), ops: await freePort() };
  const env = {
    PATH: process.env.PATH!, HOME: process.env.HOME ?? '/root', STRATUS_STATE_DIR: stateDir, STRATUS_ADMIN_PASSWORD: ADMIN_PASSWORD,
    STRATUS_LISTEN_OPS: String(ports.ops), STRATUS_LISTEN_IMAGE: '0', STRATUS_LISTEN_IDENTITY: String(ports.identity), STRATUS_LISTEN_COMPUTE: String(ports.compute),
    STRATUS_IDENTITY_CLOUDS_YAML: join(dir, 'clouds.yaml'), STRATUS_LOG_LEVEL: 'warn',
    // Room for 1,000 m1.tiny servers on three simulated hosts.
    STRATUS_LIBVIRT_VCPUS: '64', STRATUS_LIBVIRT_MEMORY_MB: '262144', STRATUS_LIBVIRT_DISK_GB: '2000',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  };
  const child = spawn(process.execPath, [join(root, 'dist', 'bin', 'stratus.js'), 'start'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const keystone = client(`http://127.0.0.1:${ports.identity}`);
  const nova = client(`http://127.0.0.1:${ports.compute}`);
  try {
    await until(async () => (await nova.call('GET', '/').catch(() => ({ status: 0 }))).status === 200, 120_000);
    const token = (await keystone.login('admin', ADMIN_PASSWORD, 'admin')).token!;
    // Let startup garbage settle before reading the resting footprint.
    await new Promise((r) => setTimeout(r, 2_000));
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
    const hosts = [1, 2, 3].map((i) => new LibvirtConnection(`test+unix:///default?socket=${join(stateDir, 'hv', String(i), 'libvirt-sock')}`));
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
    // Three of Nova's filters at the SDK's microversion: two in SQL, the name's regular expression on the rows.
    const filtered: number[] = [];
    for (let i = 0; i < 60; i++) {
      const at = performance.now();
      const r = await nova.call('GET', '/v2.1/servers/detail?status=ACTIVE&flavor=1&name=^fill-', { token, headers: { 'OpenStack-API-Version': 'compute 2.93' } });
      if (r.body.servers.length !== TOTAL - BOOTS) throw new Error(`filtered detail listed ${r.body.servers.length}`);
      if (i >= 10) filtered.push(performance.now() - at);
    }
    filtered.sort((a, b) => a - b);
    const url = process.env.DATABASE_URL ?? `sqlite:${join(stateDir, 'stratus.sqlite')}`;
    const sequelize = url.startsWith('sqlite:') ? new Sequelize({ dialect: 'sqlite', storage: url.slice(7), logging: false }) : new Sequelize(url, { logging: false });
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
    report('GET /servers/detail p50, 3 filters at 2.93 (800 of 1,000 match)', percentile(filtered, 50), 'ms', 'one Sequelize query of the rows p50', percentile(query, 50));

    const ops = await fetch(`http://127.0.0.1:${ports.ops}/healthz`).then((r) => r.json()).catch(() => undefined) as { activations?: number } | undefined;
    const busyMb = treeRssMb(child.pid!, stateDir);
    report('RSS of the process tree with 1,000 servers, their actors active', busyMb, 'MB', 'same tree at rest, no servers', restMb);
    note(`${ops?.activations ?? '?'} actors active; tree = the Stratus process, 3 × (keeper, libvirtd, virsh)`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}
