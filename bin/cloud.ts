import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../cluster.config.js';
import { openDatabase, type Database } from '../models/database.js';
import { ActorNode } from '../runtime/node.js';
import { SqlStore } from '../runtime/stores/sql-store.js';
import { InProcessTransport } from '../runtime/transports/in-process.js';
import { SystemClock, type Clock } from '../runtime/clock.js';
import { createMetrics } from '../runtime/metrics.js';
import { superviseAll } from '../supervisors/root.js';
import { opsApp } from '../http/ops.js';
import { listen, type Listening } from '../http/listen.js';
import { bootstrapIdentity, createIdentity, identityApp, type Identity } from '../http/identity/index.js';
import { createImages, imageApp, registerTinyImage, type ImageServices } from '../http/images/index.js';
import { computeApp, ResponseOracle, seedCompute } from '../http/compute/index.js';
import { ConnectionPool } from '../drivers/libvirt/pool.js';
import { ref } from '../runtime/ref.js';
import { reportHosts } from '../supervisors/host.js';
import { reportScheduler } from '../supervisors/scheduler.js';
import type { HostRow, InstanceRow } from '../models/index.js';
import { prepareHypervisors, registration, stopHypervisors, type HostPlan } from './hypervisors.js';

export interface Cloud {
  readonly config: Config;
  readonly node: ActorNode;
  readonly db: Database;
  readonly ops: Listening;
  readonly identity?: Identity & { server: Listening };
  readonly images?: Listening;
  readonly compute?: Listening;
  /** TEST-ONLY (testing.checkComputeResponses): the oracle judging every compute response. */
  readonly responseOracle?: ResponseOracle;
  /** The compute hosts this node drives, simulated or real. */
  readonly hosts: readonly HostPlan[];
  readonly recovered: number;
  stop(): Promise<void>;
}

/**
 * The composition root: one node holding every role the configuration gives it, on its
 * database, with its operational endpoints. Later services attach here.
 */
export interface Secrets { readonly adminPassword?: string; readonly demoPassword?: string }

export async function startCloud(config: Config, logger: Logger, secrets: Secrets = {}, clock: Clock = new SystemClock()): Promise<Cloud> {
  mkdirSync(config.stateDir, { recursive: true });
  const db = await openDatabase(config.databaseUrl);
  const store = new SqlStore(db, { maxBatch: config.store.maxBatch, crashHistory: config.supervision.crashHistory, now: () => clock.now() });
  const node = new ActorNode({
    nodeId: config.nodeId, store, transport: new InProcessTransport(), clock, logger,
    requestTimeoutMs: config.timeouts.requestMs, passivationSweepMs: config.passivation.sweepMs,
    recentMessages: config.introspection.recentMessages,
    inboxRetentionMs: config.store.inboxRetentionMs, inboxPruneMs: config.store.inboxPruneMs,
  });
  const roles = new Set(config.roles);
  const hosts = roles.has('compute') ? await prepareHypervisors(config) : [];
  const pool = new ConnectionPool();
  const plain = <T>(rows: Array<{ get(o: { plain: true }): unknown }>) => rows.map((r) => r.get({ plain: true }) as T);
  superviseAll(node, { supervision: config.supervision, passivation: config.passivation }, {
    host: {
      hypervisor: (uri) => pool.get(uri),
      instancesOn: async (host) => plain<InstanceRow>(await db.models.Instance.findAll({ where: { host, deleted_at: null } })),
      failSpawn: (host) => config.faults.spawnFailHosts.includes(host),
      cleanShutdownMs: config.timeouts.cleanShutdownMs,
      softRebootMs: config.timeouts.softRebootMs,
      // Absolute: the hypervisor's daemon writes it from a working directory of its own.
      savePath: (host, uuid) => resolve(config.stateDir, 'saved', host, `${uuid}.save`),
      ignoresShutdown: (host) => config.faults.ignoreShutdownHosts.includes(host),
    },
    scheduler: {
      loadHosts: async () => plain<HostRow>(await db.models.Host.findAll()),
      maxAttempts: config.scheduler.maxAttempts, serviceDownMs: config.timeouts.serviceDownMs, hostViewMaxAgeMs: 1_000,
    },
  });
  const recovered = await node.start();
  // Registering reconciles each hypervisor with the tables before the API takes new boots.
  await Promise.all(hosts.map((h) => node.ask(ref('host', h.name), 'register', registration(h))));
  const stopReports = [
    reportHosts(node, hosts.map((h) => h.name), config.timeouts.reportIntervalMs),
    ...(roles.has('scheduler') ? [reportScheduler(node, config.nodeId, config.timeouts.reportIntervalMs)] : []),
  ];
  const ops = await listen(opsApp({
    logger, metrics: createMetrics(node), allowRemoteMetrics: config.metrics.allowRemote,
    check: async () => {
      try { await db.sequelize.query('SELECT 1'); return []; } catch (e) { return [`database: ${(e as Error).message}`]; }
    },
    describe: () => ({ node: config.nodeId, roles: config.roles, activations: node.activeCount() }),
  }), config.listen.host, config.listen.ops);
  const identity = config.roles.includes('api') ? await startIdentity(config, db, clock, logger, secrets) : undefined;
  const images = identity ? await startImages(config, db, clock, logger, identity) : undefined;
  const compute = identity && images ? await startCompute(config, db, clock, logger, identity, images.services, node) : undefined;
  logger.info({
    node: config.nodeId, roles: config.roles, database: db.dialect, ops: ops.url, identity: identity?.publicUrl,
    images: images?.publicUrl, compute: compute?.publicUrl, hosts: hosts.map((h) => h.name), recovered,
  }, 'stratus started');
  return {
    config, node, db, ops, identity, images: images?.server, compute: compute?.server, responseOracle: compute?.responseOracle, hosts, recovered,
    stop: async () => {
      for (const stopReport of stopReports) stopReport();
      await compute?.server.close();
      await compute?.responseOracle?.stop();
      images?.services.stop();
      await images?.server.close();
      identity?.stop();
      await identity?.server.close();
      await ops.close();
      await node.stop();
      await pool.closeAll();
      await stopHypervisors(hosts, config.timeouts.shutdownMs);
      await store.close();
      await db.close();
      logger.info('stratus stopped');
    },
  };
}

async function startIdentity(config: Config, db: Database, clock: Clock, logger: Logger, secrets: Secrets) {
  const identity = await createIdentity({
    models: db.models, clock, stateDir: config.stateDir,
    tokenTtlMs: config.identity.tokenTtlMs, revocationPollMs: config.identity.revocationPollMs, listLimit: config.identity.listLimit,
  });
  const server = await listen(identityApp(identity.services, logger), config.listen.host, config.listen.identity);
  identity.publicUrl = `http://${config.publicHost}:${new URL(server.url).port}`;
  await bootstrapIdentity(db.models, { cloudsYaml: config.identity.cloudsYaml, authUrl: `${identity.publicUrl}/v3`, ...secrets }, logger);
  return Object.assign(identity, { server });
}

async function startImages(config: Config, db: Database, clock: Clock, logger: Logger, identity: Identity) {
  const images = await createImages({
    models: db.models, tokens: identity.services.tokens, clock, storeDir: config.images.storeDir, nodeId: config.nodeId,
    uploadStaleMs: config.images.uploadStaleMs, limits: config.images,
  }, logger);
  // Image transfers may be large: no deadline for a whole request, only for a stalled connection.
  const server = await listen(imageApp(images, logger), config.listen.host, config.listen.image, {
    requestTimeoutMs: config.images.requestTimeoutMs, idleTimeoutMs: config.images.idleTimeoutMs,
  });
  images.url = `http://${config.publicHost}:${new URL(server.url).port}`;
  identity.services.catalog.register({ type: 'image', name: 'glance', url: () => images.url });
  const admin = await identity.services.directory.projectByName('admin', 'default');
  if (admin) await registerTinyImage(images, admin.id, logger);
  return { server, publicUrl: images.url, services: images };
}

async function startCompute(
  config: Config, db: Database, clock: Clock, logger: Logger, identity: Identity, images: ImageServices, node: ActorNode,
) {
  let publicUrl = '';
  const responseOracle = config.testing.checkComputeResponses ? await ResponseOracle.start(logger) : undefined;
  const server = await listen(computeApp({
    models: db.models, tokens: identity.services.tokens, images: images.repo, actors: node, clock,
    scheduler: config.nodeId, nodeId: config.nodeId, quotas: config.quotas, serviceDownMs: config.timeouts.serviceDownMs, publicUrl: () => publicUrl,
    responseOracle,
  }, logger), config.listen.host, config.listen.compute).catch(async (error) => { await responseOracle?.stop(); throw error; });
  publicUrl = `http://${config.publicHost}:${new URL(server.url).port}`;
  identity.services.catalog.register({ type: 'compute', name: 'nova', url: () => `${publicUrl}/v2.1` });
  const bootstrap = await Promise.all(['admin', 'demo'].map((name) => identity.services.directory.projectByName(name, 'default')));
  await seedCompute(db.models, new Date(clock.now()), bootstrap.filter((p) => p !== undefined).map((p) => p!.id));
  return { server, publicUrl, responseOracle };
}
