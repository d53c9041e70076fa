import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config, type DeepPartial } from '../../cluster.config.js';
import { startCloud, type Cloud } from '../../bin/cloud.js';
import { LibvirtConnection, type DomainStatus } from '../../drivers/libvirt/connection.js';
import { TINY_IMAGE_ID } from '../../http/images/index.js';
import { silentLogger, type Logger } from '../../runtime/logger.js';
import type { Clock } from '../../runtime/clock.js';
import { checkResponses } from '../oracle/check-responses.js';
import { ResponseOracle } from '../oracle/response-oracle.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { eventually } from './drive.js';
import { ADMIN_PASSWORD, client, DEMO_PASSWORD } from './identity.js';

export { TINY_IMAGE_ID };
export type Api = ReturnType<typeof client>;

/**
 * A whole cloud in this process on free ports, its own database and state directory, with admin and demo tokens;
 * every compute response it sends is checked against Tempest's schema for its version by `oracle`.
 */
export interface ComputeCloud {
  cloud: Cloud;
  config: Config;
  nova: Api;
  keystone: Api;
  admin: string;
  demo: string;
  dir: string;
  database: TestDatabase;
  oracle?: ResponseOracle;
  stop(): Promise<void>;
}

/**
 * How the demo project's quotas start: 'default' (Nova's, as a fresh cloud gives it) or 'unlimited' (its instances,
 * cores and RAM rows set to -1, as an operator would, so tests booting many servers are not stopped at ten).
 * `judged: false` leaves the response oracle out, for suites whose requests are mostly refusals and must be cheap (fuzzing).
 */
export interface CloudOptions {
  readonly demoQuotas?: 'default' | 'unlimited';
  readonly judged?: boolean;
  /** The cloud's logger (silent unless given), for a suite that reads the cloud's own log lines. */
  readonly logger?: Logger;
}

export async function startComputeCloud(
  name: string,
  overrides: DeepPartial<Config> = {},
  clock?: Clock,
  options: CloudOptions = {},
): Promise<ComputeCloud> {
  const judged = options.judged ?? true;
  const database = await createTestDatabase(name);
  // Short: the hypervisors' sockets live under it and a socket path holds at most 107 bytes.
  const dir = mkdtempSync(join(tmpdir(), 'st-'));
  const config = loadConfig({
    env: {},
    allowTestOnly: true,
    overrides: {
      stateDir: join(dir, 's'),
      databaseUrl: database.url,
      listen: { ops: 0, identity: 0, image: 0, network: 0, compute: 0, metadata: 0, console: 0, admin: 0 },
      identity: { cloudsYaml: join(dir, 'clouds.yaml') },
      log: { level: 'silent' },
      ...overrides,
      // Simulated hosts only unless the test asks for the real one: no private QEMU daemon to pay for.
      libvirt: { realHost: false, ...overrides.libvirt },
      // stratus-linux is registered only where a test asks for it (it changes the image list).
      qemu: { linuxImage: false, ...overrides.qemu },
      // No data plane (namespaces, rules, DHCP) unless the test asks for it: tests run as root.
      dataplane: { enabled: 'off', ...overrides.dataplane },
      // The console proxies run on ports of their own: parallel test clouds never collide.
      consoles: { spicePort: 0, serialPort: 0, ...overrides.consoles },
    },
  });
  const logger = options.logger ?? silentLogger();
  const oracle = judged ? await ResponseOracle.start(logger) : undefined;
  let cloud: Cloud;
  try {
    cloud = await startCloud(
      config,
      logger,
      { adminPassword: ADMIN_PASSWORD, demoPassword: DEMO_PASSWORD },
      clock,
      oracle
        ? {
            computeMiddleware: [checkResponses(oracle)],
            stop: () => oracle.stop(),
          }
        : {},
    );
  } catch (error) {
    await oracle?.stop();
    throw error;
  }
  const keystone = client(cloud.identity!.publicUrl);
  const nova = client(cloud.compute!.url);
  const admin = (await keystone.login('admin', ADMIN_PASSWORD, 'admin')).token!;
  const demo = (await keystone.login('demo', DEMO_PASSWORD, 'demo')).token!;
  if (options.demoQuotas !== 'default') {
    const project = (await keystone.call('GET', '/v3/projects?name=demo', { token: admin })).body.projects[0].id as string;
    await cloud.db.models.Quota.bulkCreate(['instances', 'cores', 'ram'].map((resource) => ({ project_id: project, resource, hard_limit: -1 })));
  }
  return {
    cloud,
    config,
    nova,
    keystone,
    admin,
    demo,
    dir,
    database,
    oracle,
    stop: async () => {
      await cloud.stop();
      rmSync(dir, { recursive: true, force: true });
      await database.drop();
    },
  };
}

/** POST /servers with the tiny image and m1.tiny unless told otherwise. */
export const boot = (nova: Api, token: string, name: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  nova.call('POST', '/v2.1/servers', { token, headers, body: { server: { name, imageRef: TINY_IMAGE_ID, flavorRef: '1', ...extra } } });

/** Waits (bounded) until every server has left BUILD; answers their final rows. */
export async function settled(nova: Api, token: string, timeoutMs = 120_000): Promise<any[]> {
  let servers: any[] = [];
  try {
    await eventually(
      async () => {
        const r = await nova.call('GET', '/v2.1/servers/detail?all_tenants=1', { token });
        servers = r.body.servers;
        return servers.every((s) => s.status !== 'BUILD' && s['OS-EXT-STS:task_state'] === null);
      },
      timeoutMs,
      50,
    );
  } catch (error) {
    const stuck = servers.filter((s) => s.status === 'BUILD' || s['OS-EXT-STS:task_state'] !== null);
    throw new Error(
      `${(error as Error).message}: ${stuck.length} servers unsettled, e.g. ${JSON.stringify(stuck.slice(0, 3).map((s) => [s.id, s.status, s['OS-EXT-STS:task_state']]))}`,
    );
  }
  return servers;
}

/** Every domain on every host the cloud drives, read straight from the hypervisors. */
export async function domainsOf(uris: readonly string[]): Promise<Map<string, DomainStatus & { uri: string }>> {
  const all = new Map<string, DomainStatus & { uri: string }>();
  for (const uri of uris) {
    const connection = new LibvirtConnection(uri);
    try {
      for (const d of await connection.domains()) all.set(d.uuid, { ...d, uri });
    } finally {
      await connection.close();
    }
  }
  return all;
}

/** A new user with one role on a project (created if missing), and a token scoped to it. */
export async function userWithRole(c: ComputeCloud, user: string, role: string, project: string): Promise<string> {
  const { keystone, admin } = c;
  let projectId = (await keystone.call('GET', `/v3/projects?name=${project}`, { token: admin })).body.projects[0]?.id;
  if (!projectId)
    projectId = (await keystone.call('POST', '/v3/projects', { token: admin, body: { project: { name: project, domain_id: 'default' } } })).body
      .project.id;
  const created = await keystone.call('POST', '/v3/users', {
    token: admin,
    body: { user: { name: user, password: `${user}-secret`, domain_id: 'default' } },
  });
  const roleId = (await keystone.call('GET', `/v3/roles?name=${role}`, { token: admin })).body.roles[0].id;
  await keystone.call('PUT', `/v3/projects/${projectId}/users/${created.body.user.id}/roles/${roleId}`, { token: admin });
  return (await keystone.login(user, `${user}-secret`, project)).token!;
}

/** The microversion header. */
export const at = (version: string): Record<string, string> => ({ 'OpenStack-API-Version': `compute ${version}` });

/** Boots a server and waits (bounded) until it is ACTIVE; answers its id. */
export async function bootActive(
  c: ComputeCloud,
  token: string,
  name: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<string> {
  const r = await boot(c.nova, token, name, extra, headers);
  if (r.status !== 202) throw new Error(`boot answered ${r.status}: ${JSON.stringify(r.body)}`);
  const id = r.body.server.id as string;
  await eventually(async () => (await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.admin })).body.server?.status === 'ACTIVE');
  return id;
}
