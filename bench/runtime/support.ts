import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../models/database.js';
import type { InstanceRow } from '../../models/index.js';
import { ActorNode } from '../../runtime/node.js';
import { SqlStore } from '../../runtime/stores/sql-store.js';
import { InProcessTransport } from '../../runtime/transports/in-process.js';
import { SystemClock, type Clock } from '../../runtime/clock.js';
import { silentLogger } from '../../runtime/logger.js';
import { instanceKind } from '../../actors/instance/index.js';
import { renameKind } from '../fixtures/rename-kind.js';
import type { KindRuntime } from '../../runtime/kind-runtime.js';

export const postgresUrl = () => process.env.BENCH_POSTGRES_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchDatabase {
  url: string;
  drop: () => Promise<void>;
}

export function sqliteDatabase(): Promise<BenchDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-bench-'));
  // A failure to remove still rejects, as from an async function.
  const drop = () =>
    new Promise<void>((resolve) => {
      rmSync(dir, { recursive: true, force: true });
      resolve();
    });
  return Promise.resolve({ url: `sqlite:${join(dir, 'bench.sqlite')}`, drop });
}

/** A throwaway database on the PostgreSQL server, or undefined when none answers. */
export async function postgresDatabase(): Promise<BenchDatabase | undefined> {
  const admin = postgresUrl();
  if (!admin.startsWith('postgres')) return undefined;
  const name = `stratus_bench_${randomBytes(4).toString('hex')}`;
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  try {
    await run(`CREATE DATABASE ${name}`);
  } catch {
    return undefined;
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export interface BenchNode {
  node: ActorNode;
  db: Database;
  store: SqlStore;
  stats: (kind: string) => KindRuntime['stats'];
  stop: () => Promise<void>;
}

export async function instanceNode(
  url: string,
  options: { clock?: Clock; passivateAfterMs?: number; recentMessages?: number } = {},
): Promise<BenchNode> {
  const db = await openDatabase(url, { pool: 10 });
  const clock = options.clock ?? new SystemClock();
  const store = new SqlStore(db, { maxBatch: 500, crashHistory: 20, now: () => clock.now() });
  const node = new ActorNode({
    nodeId: 'bench',
    store,
    transport: new InProcessTransport(),
    clock,
    logger: silentLogger(),
    requestTimeoutMs: 120_000,
    passivationSweepMs: 3_600_000,
    recentMessages: options.recentMessages ?? 16,
  });
  const policy = { maxRestarts: 5, withinMs: 60_000, backoffBaseMs: 100, backoffMaxMs: 30_000, maxMessageAttempts: 3 };
  node.supervise(instanceKind, policy, options.passivateAfterMs ?? 3_600_000);
  node.supervise(renameKind, policy, options.passivateAfterMs ?? 3_600_000);
  await node.start();
  const stats = (kind: string) => {
    const runtime = node.kindRuntimes().find((k) => k.definition.kind === kind);
    if (!runtime) throw new Error(`no kind ${kind}`);
    return runtime.stats;
  };
  return {
    node,
    db,
    store,
    stats,
    stop: async () => {
      await node.stop();
      await store.close();
      await db.close();
    },
  };
}

export const uuidOf = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

const hex = (seed: string) => createHash('md5').update(seed).digest('hex');
const uuidFrom = (seed: string) => hex(seed).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
/** How many distinct projects, users per project, hosts, images and key names the rows spread over. */
export const SPREAD = { projects: 100, usersPerProject: 4, hosts: 30, images: 40 };

/**
 * A realistic instance row, as the API writes them: its project, user, host, image and key name
 * drawn from a realistic number of distinct ones, so values that repeat are shared no more than
 * in a real cloud.
 */
export function instanceRow(i: number): InstanceRow {
  const now = new Date();
  const project = i % SPREAD.projects;
  const user = Math.floor(i / SPREAD.projects) % SPREAD.usersPerProject;
  const host = `compute-${((i * 7) % SPREAD.hosts) + 1}`;
  return {
    uuid: uuidOf(i),
    project_id: hex(`project-${project}`),
    user_id: hex(`user-${project}-${user}`),
    display_name: `bench-server-${i}`,
    display_description: null,
    hostname: `bench-server-${i}`,
    vm_state: 'active',
    task_state: null,
    power_state: 1,
    host,
    node: host,
    availability_zone: 'nova',
    flavor_name: null,
    flavor_id: '1',
    memory_mb: 512,
    vcpus: 1,
    root_gb: 1,
    ephemeral_gb: 0,
    image_ref: uuidFrom(`image-${(i * 13) % SPREAD.images}`),
    key_name: `key-${project}-${user}`,
    locked: false,
    locked_reason: null,
    reservation_id: `r-${i.toString(36).padStart(8, '0')}`,
    launch_index: 0,
    fault_code: null,
    fault_message: null,
    fault_details: null,
    metadata: '{}',
    tags: '[]',
    user_data: null,
    access_ip_v4: null,
    access_ip_v6: null,
    config_drive: '',
    auto_disk_config: false,
    root_device_name: '/dev/vda',
    security_groups: '["default"]',
    trusted_certs: null,
    swap: 0,
    flavor_extra_specs: '{}',
    requested_host: null,
    force_host: false,
    launched_at: now,
    terminated_at: null,
    created_at: now,
    updated_at: now,
    deleted_at: null,
  };
}

export async function seedInstances(db: Database, count: number): Promise<void> {
  for (let start = 0; start < count; start += 2_000) {
    const rows = Array.from({ length: Math.min(2_000, count - start) }, (_, k) => instanceRow(start + k));
    await db.models.Instance.bulkCreate(rows, { validate: false, hooks: false });
  }
}

export const instance = (i: number) => ({ kind: 'instance', id: uuidOf(i) });
/** The same row through the bench-only kind that renames it (bench/fixtures/rename-kind.ts). */
export const renamable = (i: number) => ({ kind: 'bench-instance', id: uuidOf(i) });

export function heapUsed(): number {
  for (let i = 0; i < 4; i++) globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}
