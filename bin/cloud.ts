import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type Koa from 'koa';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { RESERVED_ROLES, type Config } from '../cluster.config.js';
import { openDatabase, type Database } from '../models/database.js';
import { ActorNode } from '../runtime/node.js';
import { SqlStore } from '../runtime/stores/sql-store.js';
import { SystemClock, type Clock } from '../runtime/clock.js';
import { createMetrics } from '../runtime/metrics.js';
import { registerClusterMetrics, registerTransportMetrics } from '../runtime/cluster/metrics.js';
import { RedisTransport } from '../runtime/transports/redis.js';
import { nodeWithRole } from '../runtime/cluster/roles.js';
import { placedGateway } from '../runtime/cluster/gateway.js';
import { clientOf, type ActorGateway } from '../runtime/client.js';
import type { ClusterView, NodeInfo } from '../runtime/cluster/types.js';
import { superviseAll } from '../supervisors/root.js';
import { opsApp } from '../http/ops.js';
import { listen, type Listening } from '../http/listen.js';
import { bootstrapIdentity, createIdentity, identityApp, identityService, type Identity } from '../http/identity/index.js';
import { createImages, imageApp, imageService, registerTinyImage, type ImageServices } from '../http/images/index.js';
import { registerLinuxImage, resolveVirtType } from './linux-image.js';
import { hostImages, serverImages } from '../http/images/compute-images.js';
import { imageProxy } from '../http/images/image-proxy.js';
import { ImageStore } from '../http/images/image-store.js';
import { ImageRepository } from '../http/images/repository.js';
import { bootstrapNetworks, networkActors, networkApp, networkOps, routerOps } from '../http/network/index.js';
import { ROUTER_PIN } from '../actors/router/index.js';
import { computePorts } from '../http/network/compute-ports.js';
import { PortReconciler } from '../services/network/reconcile.js';
import type { NetworkDeps, NeutronCall } from '../services/network/index.js';
import { computeApp, seedCompute, type ComputeServices, type ComputeState } from '../http/compute/index.js';
import { ConnectionPool } from '../drivers/libvirt/pool.js';
import { machineIp } from '../drivers/local/my-ip.js';
import { adminApp, type AdminServices } from '../http/admin/app.js';
import { Operator } from '../runtime/operator.js';
import { OperatorAudit } from '../http/admin/audit.js';
import { consoleSessionViews } from '../http/admin/consoles.js';
import { inspectorApp, mountInspector } from '../http/inspector/app.js';
import { InspectorStream } from '../http/inspector/stream.js';
import { ref } from '../runtime/ref.js';
import { reportHosts, syncHosts, watchHosts } from '../supervisors/host.js';
import { reportScheduler } from '../supervisors/scheduler.js';
import type { HostRow, InstanceRow } from '../models/index.js';
import { bootIdOf, prepareHypervisors, registration, stopHypervisors, type HostPlan } from './hypervisors.js';
import { membershipFor } from './cluster-join.js';
import { realGuestsOf } from './real-guests.js';
import { imageSourceOf } from './image-source.js';
import type { TokenService } from '../http/identity/tokens.js';
import { groupClaims } from '../actors/host/group-claims.js';
import { placementRules } from '../actors/scheduler/placement-rules.js';
import { aggregateZoneOf } from '../models/placement.js';
import { consoleSettings, type BoundConsolePorts } from './console-urls.js';
import { startConsoleProxies, type ConsoleProxies } from './console-proxies.js';
import type { ConsoleSessions } from '../http/console/sessions.js';
import { consolePin, consoleProtocol, type ConsoleRow } from '../actors/console/index.js';
import { driveDataPlane, superviseDataPlane } from '../supervisors/dataplane.js';
import { dataPlaneEnabled, startNodeDataPlane } from './dataplane.js';

export interface Cloud {
  readonly config: Config;
  readonly node: ActorNode;
  readonly db: Database;
  readonly ops: Listening;
  readonly identity?: Identity & { server: Listening };
  readonly images?: Listening;
  readonly network?: Listening;
  readonly compute?: Listening;
  /** The console proxies, on a node with the console role when consoles.proxies is set. */
  readonly consoles?: ConsoleProxies;
  /** The operator's API (actors, dead letters, nodes), on every node whatever its roles. */
  readonly admin: Listening;
  /** The inspector's page, API and stream: on the compute API's server, its own, or none (a node without api role on port 0). */
  readonly inspector?: { readonly url: string; readonly stream: InspectorStream };
  /** The cluster as this node sees it: itself alone in the all-in-one. */
  readonly cluster: ClusterView;
  /** The compute hosts this node drives, simulated or real. */
  readonly hosts: readonly HostPlan[];
  readonly recovered: number;
  /** This machine's data plane when the node programs one (`dataplane.enabled`): its cloud id, the prefix of its names. */
  readonly dataPlane?: { readonly cloudId: string };
  stop(): Promise<void>;
}

/**
 * The composition root: one node running what its roles say, on its database, with its operational endpoints
 * and the admin API. `api` serves the HTTP services (identity, images, compute); `scheduler` keeps its
 * nova-scheduler reporting in; `compute` drives its hypervisors through their host actors; `console` and
 * `network` are reserved and start nothing. Every node knows every kind (it must address them); where an actor
 * may live is its kind's placement (runtime/cluster/roles.ts), which the cluster's routing applies.
 */
export interface Secrets {
  readonly adminPassword?: string;
  readonly demoPassword?: string;
}

/** What a test harness adds to a start (bin/harness.ts); a production start passes none. */
export interface CloudExtensions {
  /** Run on every compute request outside Nova's fault handling, so they see each response as the client gets it. */
  readonly computeMiddleware?: ReadonlyArray<Middleware<ComputeState>>;
  /** Called once the APIs no longer answer, before the node stops. */
  stop?(): Promise<void>;
}

export async function startCloud(
  config: Config,
  logger: Logger,
  secrets: Secrets = {},
  clock: Clock = new SystemClock(),
  extensions: CloudExtensions = {},
): Promise<Cloud> {
  // Refuses a mode this build cannot run before anything is opened.
  const membership = membershipFor(config, clock, logger);
  mkdirSync(config.stateDir, { recursive: true });
  const db = await openDatabase(config.databaseUrl, { sqliteSynchronous: config.store.sqliteSynchronous });
  const store = new SqlStore(db, { maxBatch: config.store.maxBatch, crashHistory: config.supervision.crashHistory, now: () => clock.now() });
  const roles = new Set(config.roles);
  const hosts = roles.has('compute') ? await prepareHypervisors(config) : [];
  let adminUrl = '';
  // A node driving compute hosts programs its machine's data plane for their guests, and serves their metadata.
  const dataPlane =
    hosts.length && dataPlaneEnabled(config)
      ? await startNodeDataPlane(
          config,
          db,
          hosts.map((h) => h.name),
          logger,
        )
      : undefined;
  const runsConsoles = roles.has('console') && config.consoles.proxies;
  // The console actors reach their sessions' sockets through the registry, made once the proxies listen.
  const consoleRegistry: { sessions?: ConsoleSessions } = {};
  // Read late: the admin API listens only after the node has joined.
  // A node with the network role holds every router (their namespaces will live there).
  const self = {
    address: () => config.cluster.address || adminUrl,
    pins: () => [
      ...hosts.map((h) => `host/${h.name}`),
      ...(dataPlane ? [`dataplane/${config.nodeId}`] : []),
      ...(roles.has('network') ? [ROUTER_PIN] : []),
      ...(runsConsoles ? [consolePin(config.nodeId)] : []),
    ],
  };
  const core = membership.core(db, self);
  const node = new ActorNode({
    nodeId: config.nodeId,
    store,
    transport: membership.transport,
    ...(core ? { cluster: core } : {}),
    clock,
    logger,
    requestTimeoutMs: config.timeouts.requestMs,
    passivationSweepMs: config.passivation.sweepMs,
    recentMessages: config.introspection.recentMessages,
    inboxRetentionMs: config.store.inboxRetentionMs,
    inboxPruneMs: config.store.inboxPruneMs,
  });
  const pool = new ConnectionPool();
  // Every host but the test driver's runs real guests: their disks, consoles and logs live on this node.
  const real = hosts.filter((h) => !h.uri.startsWith('test'));
  // Real hosts fetch images over the image service's API, known once it listens (another node's on a compute-only node).
  const imageAccess: { url: () => string; tokens?: TokenService } = {
    url: () => (roles.has('api') ? '' : `http://${config.publicHost}:${config.listen.image}`),
  };
  const imageSource = imageSourceOf(
    db.models,
    () => imageAccess.url(),
    () => imageAccess.tokens,
    clock,
  );
  // virtType auto: decided once by a probe boot (kept per machine), before any guest is defined.
  const virtType = real.length ? await resolveVirtType(config, logger) : 'qemu';
  const guests = new Map(real.map((h) => [h.name, realGuestsOf(config, db, h.name, imageSource, clock, virtType)]));
  const plain = <T>(rows: Array<{ get(o: { plain: true }): unknown }>) => rows.map((r) => r.get({ plain: true }) as T);
  superviseAll(
    node,
    { supervision: config.supervision, passivation: config.passivation },
    {
      host: {
        hypervisor: (uri) => pool.get(uri),
        realGuests: (host) => guests.get(host),
        stoppedEventDelayMs: config.qemu.stoppedEventDelayMs,
        instancesOn: async (host, uuid) =>
          plain<InstanceRow>(await db.models.Instance.findAll({ where: { host, deleted_at: null, ...(uuid ? { uuid } : {}) } })),
        failSpawn: (host) => config.faults.spawnFailHosts.includes(host),
        ...(config.faults.spawnDelayMs ? { holdSpawn: () => clock.sleep(config.faults.spawnDelayMs) } : {}),
        cleanShutdownMs: config.timeouts.cleanShutdownMs,
        softRebootMs: config.timeouts.softRebootMs,
        // Absolute: the hypervisor's daemon writes it from a working directory of its own.
        savePath: (host, uuid) => resolve(config.stateDir, 'saved', host, `${uuid}.save`),
        ignoresShutdown: (host) => config.faults.ignoreShutdownHosts.includes(host),
        bootId: (host) => bootIdOf(hosts.find((h) => h.name === host)),
        serviceDownMs: config.timeouts.serviceDownMs,
        hypervisorRetryMs: config.timeouts.hypervisorRetryMs,
        hypervisorWaitMs: config.timeouts.hypervisorWaitMs,
        // Snapshots' data, written into the shared image store under a name of their own (the API node's sweep keeps off it).
        images: hostImages(new ImageRepository(db.models), new ImageStore(config.images.storeDir, { nodeId: `${config.nodeId}-compute` }), clock),
        groupClaims: groupClaims(db.models),
        zoneOf: (host) => aggregateZoneOf(db.models, host, clock.now()),
      },
      console: { session: (id) => consoleRegistry.sessions?.live(id) },
      instance: { buildMs: config.timeouts.buildMs, actionMs: config.timeouts.actionMs, shelvedOffloadMs: config.timeouts.shelvedOffloadMs },
      network: { network: { ops: networkOps({ models: db.models, clock }) }, router: { ops: routerOps({ models: db.models, clock }) } },
      scheduler: {
        loadHosts: async () => plain<HostRow>(await db.models.Host.findAll()),
        maxAttempts: config.scheduler.maxAttempts,
        serviceDownMs: config.timeouts.serviceDownMs,
        hostViewMaxAgeMs: 1_000,
        placementRules: placementRules(db.models, config.scheduler.ramWeightMultiplier),
        // As os-services judges a compute service (nodeGone below): a host whose node is gone takes no boot, nor one
        // whose node is draining (it is about to stop; a boot placed there would wait for its return).
        ...(core
          ? {
              hostGone: (host: string) => {
                const owner = core.ownerOf('host', host);
                return owner === undefined || core.nodes().some((n) => n.nodeId === owner && n.status === 'draining');
              },
            }
          : {}),
      },
    },
  );
  if (dataPlane) superviseDataPlane(node, { supervision: config.supervision, passivateAfterMs: 0 }, dataPlane.deps);
  const recovered = await node.start();
  // Registering reconciles each hypervisor with the tables before the API takes new boots.
  const hostIp = config.myIp || machineIp();
  await Promise.all(hosts.map((h) => node.ask(ref('host', h.name), 'register', registration(h, hostIp))));
  // Each node reports the services it runs (os-services reads them from the tables): a nova-compute per host
  // on compute nodes, a nova-scheduler and nova-conductor per scheduler node.
  const stopReports = [
    ...(hosts.length
      ? [
          reportHosts(
            node,
            hosts.map((h) => h.name),
            config.timeouts.reportIntervalMs,
          ),
        ]
      : []),
    ...(roles.has('scheduler') ? [reportScheduler(node, config.nodeId, config.timeouts.reportIntervalMs)] : []),
    // Real guests change by themselves (shut down inside, killed): their events and a periodic read say so.
    ...(real.length
      ? [
          syncHosts(
            node,
            real.map((h) => h.name),
            config.qemu.powerSyncMs,
          ),
        ]
      : []),
  ];
  const stopWatching = watchHosts(node, real, {
    retryMs: config.timeouts.hypervisorRetryMs,
    keepAliveInterval: config.qemu.keepaliveIntervalS,
    keepAliveCount: config.qemu.keepaliveCount,
    ...(config.faults.dropEventsFile ? { dropEvents: () => existsSync(config.faults.dropEventsFile) } : {}),
  });
  const cluster = await membership.join(node, db, self);
  const stopDataPlane = dataPlane ? driveDataPlane(node, config.nodeId, config.dataplane) : () => {};
  const metrics = createMetrics(node);
  registerClusterMetrics(metrics, cluster, () => clock.now());
  const { transport } = membership;
  if (transport instanceof RedisTransport) registerTransportMetrics(metrics, () => transport.stats);
  const ops = await listen(
    opsApp({
      logger,
      metrics,
      allowRemoteMetrics: config.metrics.allowRemote,
      check: async () => {
        try {
          await db.sequelize.query('SELECT 1');
          return [];
        } catch (e) {
          return [`database: ${(e as Error).message}`];
        }
      },
      describe: () => ({ node: config.nodeId, roles: config.roles, activations: node.activeCount() }),
    }),
    config.listen.host,
    config.listen.ops,
  );
  const identity = roles.has('api') ? await startIdentity(config, db, clock, logger, secrets) : undefined;
  const images = identity ? await startImages(config, db, clock, logger, identity) : undefined;
  const movable = (kind: string) => node.kindRuntimes().some((k) => k.definition.kind === kind && 'movable' in k.definition.placement);
  const network = identity ? await startNetwork(config, db, clock, logger, identity, placedGateway(node, cluster, movable), cluster) : undefined;
  // Boots go to a live scheduler node's scheduler actor, this node's when it schedules; with none known, to one
  // named after this node, whose build then fails with a fault once no node can run it.
  const scheduler = (key: string) => nodeWithRole(cluster, 'scheduler', key) ?? config.nodeId;
  // In a cluster a service is down as soon as its node's lease lapses (a lone node answers for itself).
  const nodeGone: ComputeServices['nodeGone'] = config.redisUrl
    ? (binary, host) =>
        binary === 'nova-compute'
          ? cluster.ownerOf('host', host) === undefined
          : cluster.nodes().some((n) => n.nodeId === host && (n.status === 'down' || n.status === 'left'))
    : undefined;
  // The inspector is mounted on the compute API's server (inspector.port 0); built once the token checks exist.
  let inspectorMount: Koa.Middleware | undefined;
  const mounted: Koa.Middleware = async (ctx, next) => {
    await (inspectorMount ? inspectorMount(ctx, next) : next());
  };
  const consolePorts: BoundConsolePorts = {};
  const compute =
    identity && images
      ? // A request to an actor no live node may hold is refused, never activated on a node without its role.
        await startCompute(
          config,
          db,
          clock,
          logger,
          identity,
          images.services,
          placedGateway(node, cluster, movable),
          scheduler,
          config.inspector.port === 0
            ? { ...extensions, computeMiddleware: [mounted as Middleware<ComputeState>, ...(extensions.computeMiddleware ?? [])] }
            : extensions,
          nodeGone,
          consolePorts,
          network?.compute,
        )
      : undefined;
  const consoles = runsConsoles ? await startConsoleProxies(config, db, clock, logger, placedGateway(node, cluster, movable), metrics) : undefined;
  consoleRegistry.sessions = consoles?.sessions;
  // The URLs the compute API hands out name the ports the proxies got (a configured 0 is the system's choice).
  for (const [type, proxy] of Object.entries(consoles?.proxies ?? {}))
    consolePorts[type as keyof BoundConsolePorts] = Number(new URL(proxy.url).port);
  // Servers' ports follow their servers (one reconciler per API node; its passes are idempotent).
  const ports = network
    ? new PortReconciler(network.compute, clock, logger, {
        intervalMs: config.networking.portReconcileMs,
        graceMs: config.networking.orphanPortGraceMs,
        alone: !config.redisUrl,
      })
    : undefined;
  ports?.start();
  // The admin API checks tokens as the identity service issues them (keys in the database), also where it is not served.
  const tokenCheck = identity ?? (await createIdentity(identityOptions(config, db, clock)));
  imageAccess.tokens = tokenCheck.services.tokens;
  if (images) imageAccess.url = images.services.publicUrl;
  const stopCacheSweeps = sweepImageCaches([...guests.values()], clock, config.qemu.imageCacheSweepMs, logger);
  const audit = new OperatorAudit(db.models, () => clock.now());
  const adminServices: AdminServices = {
    operator: new Operator(node),
    tokens: tokenCheck.services.tokens,
    cluster,
    models: db.models,
    audit,
    consoleSessions: () => consoleSessionViews(consoles?.sessions, config.nodeId),
    computeServices: { actors: placedGateway(node, cluster, movable), models: db.models },
    closeConsole: (id) => clientOf<typeof consoleProtocol.spec, { close: ConsoleRow }>(consoleProtocol, node)(id).close({ reason: 'operator' }),
  };
  const admin = await listen(adminApp(adminServices, logger), config.listen.host, config.listen.admin);
  adminUrl = `http://${config.publicHost}:${new URL(admin.url).port}`;
  const stopAuditPrune = pruneAudit(audit, config.inspector.auditRetentionMs, clock, logger);
  const inspector = await startInspector(
    config,
    adminServices,
    compute,
    clock,
    logger,
    (m) => (inspectorMount = m),
    () => identity?.publicUrl ?? `http://${config.publicHost}:${config.listen.identity}`,
  );
  logger.info(
    {
      node: config.nodeId,
      roles: config.roles,
      database: db.dialect,
      ops: ops.url,
      identity: identity?.publicUrl,
      images: images?.publicUrl,
      network: network?.publicUrl,
      compute: compute?.publicUrl,
      ...(consoles ? { consoles: Object.fromEntries(Object.entries(consoles.proxies).map(([type, p]) => [type, p.url])) } : {}),
      admin: admin.url,
      inspector: inspector?.url,
      redis: config.redisUrl ? 'cluster' : 'none: in-process',
      ...(reservedRoles(config).length ? { reserved: `${reservedRoles(config).join(', ')}: reserved, nothing runs for them yet` } : {}),
      hosts: hosts.map((h) => h.name),
      dataPlane: dataPlane ? `cloud ${dataPlane.cloudId}` : 'off',
      recovered,
    },
    'stratus started',
  );
  return {
    config,
    node,
    db,
    ops,
    identity,
    images: images?.server,
    network: network?.server,
    compute: compute?.server,
    consoles,
    admin,
    ...(inspector ? { inspector: { url: inspector.url, stream: inspector.stream } } : {}),
    cluster,
    hosts,
    recovered,
    ...(dataPlane ? { dataPlane: { cloudId: dataPlane.cloudId } } : {}),
    stop: async () => {
      // Drained first, every port still answering: movable actors go to the other nodes and requests that reach
      // them are answered there. Bounded: a drain that cannot finish must not keep a stopping node.
      await drainWithin(cluster, config.cluster.drainMs, clock, logger);
      for (const stopReport of stopReports) stopReport();
      // The data plane itself stays (as Neutron's agents leave it): guests keep their network across a restart.
      stopDataPlane();
      stopCacheSweeps();
      await stopWatching();
      images?.services.stop();
      // Every listener stops accepting at once, then the requests in flight are answered while the node still
      // runs: a client that got no answer retries, and a boot that was in fact made would be made twice.
      const graceMs = Math.floor(config.timeouts.shutdownMs / 2);
      stopAuditPrune();
      inspector?.stream.close();
      await Promise.all(
        [admin, inspector?.own, compute?.server, images?.server, network?.server, identity?.server, ops].flatMap((l) =>
          l ? [l.close(graceMs)] : [],
        ),
      );
      await consoles?.stop();
      await ports?.stop();
      await extensions.stop?.();
      if (dataPlane) await new Promise((r) => dataPlane.metadata.close(r));
      tokenCheck.stop();
      await node.stop();
      await membership.leave();
      await pool.closeAll();
      await stopHypervisors(hosts, config.timeouts.shutdownMs);
      await store.close();
      await db.close();
      logger.info('stratus stopped');
    },
  };
}

/** Every sweep interval, each real host's unused image bases past their age go (Nova's image cache manager). */
function sweepImageCaches(guests: ReadonlyArray<ReturnType<typeof realGuestsOf>>, clock: Clock, everyMs: number, logger: Logger) {
  if (!guests.length) return () => {};
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  let stopped = false;
  const tick = async () => {
    for (const g of guests) {
      const removed = await g.sweepCache().catch((error: Error) => (logger.warn({ err: error }, 'image cache sweep failed'), []));
      if (removed.length) logger.info({ removed }, 'unused image bases removed');
    }
    if (!stopped) timer = clock.setTimeout(() => void tick(), everyMs);
  };
  timer = clock.setTimeout(() => void tick(), everyMs);
  return () => {
    stopped = true;
    clock.clearTimeout(timer);
  };
}

/** Where a boot naming no zone goes: the configured zone, else the real host's while it runs, else anywhere. */
const defaultScheduleZone = (config: Config) => config.scheduler.defaultScheduleZone || (config.libvirt.realHost ? config.qemu.availabilityZone : '');

const reservedRoles = (config: Config) => config.roles.filter((r) => RESERVED_ROLES.includes(r));

async function drainWithin(cluster: ClusterView, drainMs: number, clock: Clock, logger: Logger): Promise<void> {
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  const late = new Promise<'late'>((resolve) => (timer = clock.setTimeout(() => resolve('late'), drainMs)));
  try {
    const outcome = await Promise.race([cluster.drain(cluster.self).then(() => 'drained' as const), late]);
    if (outcome === 'late') logger.warn({ drainMs }, 'drain not finished within cluster.drainMs: stopping anyway');
    else logger.info({ node: cluster.self }, 'drained');
  } catch (error) {
    logger.warn({ err: error }, 'drain failed: stopping anyway');
  } finally {
    clock.clearTimeout(timer);
  }
}

const identityOptions = (config: Config, db: Database, clock: Clock) => ({
  models: db.models,
  clock,
  stateDir: config.stateDir,
  tokenTtlMs: config.identity.tokenTtlMs,
  revocationPollMs: config.identity.revocationPollMs,
  listLimit: config.identity.listLimit,
});

async function startIdentity(config: Config, db: Database, clock: Clock, logger: Logger, secrets: Secrets) {
  const identity = await createIdentity(identityOptions(config, db, clock));
  const server = await listen(identityApp(identity.services, logger), config.listen.host, config.listen.identity);
  identity.publicUrl = `http://${config.publicHost}:${new URL(server.url).port}`;
  await bootstrapIdentity(db.models, { cloudsYaml: config.identity.cloudsYaml, authUrl: `${identity.publicUrl}/v3`, ...secrets }, logger);
  return Object.assign(identity, { server });
}

async function startImages(config: Config, db: Database, clock: Clock, logger: Logger, identity: Identity) {
  const images = await createImages(
    {
      models: db.models,
      tokens: identity.services.tokens,
      clock,
      storeDir: config.images.storeDir,
      nodeId: config.nodeId,
      uploadStaleMs: config.images.uploadStaleMs,
      limits: config.images,
    },
    logger,
  );
  // Image transfers may be large: no deadline for a whole request, only for a stalled connection.
  const server = await listen(imageApp(images, logger), config.listen.host, config.listen.image, {
    requestTimeoutMs: config.images.requestTimeoutMs,
    idleTimeoutMs: config.images.idleTimeoutMs,
  });
  images.url = `http://${config.publicHost}:${new URL(server.url).port}`;
  identity.services.catalog.register({ type: 'image', name: 'glance', url: () => images.url });
  const admin = await identity.services.directory.projectByName('admin', 'default');
  if (admin) await registerTinyImage(images, admin.id, logger);
  if (admin && config.libvirt.realHost && config.qemu.linuxImage) await registerLinuxImage(config, images, admin.id, logger);
  return { server, publicUrl: images.url, services: images };
}

/** The Networking API on its own port, in the catalog as `network` (neutron). */
async function startNetwork(
  config: Config,
  db: Database,
  clock: Clock,
  logger: Logger,
  identity: Identity,
  actors: ActorGateway,
  cluster: { nodes(): readonly NodeInfo[] },
) {
  let publicUrl = '';
  const services = {
    models: db.models,
    tokens: identity.services.tokens,
    clock,
    publicUrl: () => publicUrl,
    actors: networkActors(actors),
    clusterNodes: () => cluster.nodes(),
  };
  const server = await listen(networkApp(services, logger), config.listen.host, config.listen.network);
  publicUrl = `http://${config.publicHost}:${new URL(server.url).port}`;
  identity.services.catalog.register({ type: 'network', name: 'neutron', url: () => publicUrl });
  const admin = await identity.services.directory.projectByName('admin', 'default');
  const demo = await identity.services.directory.projectByName('demo', 'default');
  if (admin) await bootstrapNetworks(services, { admin: admin.id, demo: demo?.id }, config.networking, logger);
  // Nova's proxies call Neutron over HTTP with the user's token; here over loopback to this node's own listener.
  const neutron: NeutronCall = async (method, path, token, body) => {
    const r = await fetch(`${server.url}${path}`, {
      method,
      headers: { 'x-auth-token': token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };
  const compute: NetworkDeps = { models: db.models, ports: computePorts(services), neutron };
  return { server, publicUrl, compute };
}

/** Forgets audited actions older than the retention, every hour on the clock (and once at start). */
function pruneAudit(audit: OperatorAudit, retentionMs: number, clock: Clock, logger: Logger): () => void {
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  let stopped = false;
  const run = () => {
    audit.prune(retentionMs).then(
      (n) => n && logger.info({ pruned: n }, 'old operator audit entries pruned'),
      (error: unknown) => logger.warn({ err: error }, 'operator audit prune failed'),
    );
    if (!stopped) timer = clock.setTimeout(run, 3_600_000);
  };
  run();
  return () => {
    stopped = true;
    clock.clearTimeout(timer);
  };
}

/**
 * The inspector: on the compute API's server when `inspector.port` is 0 (nodes with the api role), else on a
 * listener of its own. Its stream takes WebSocket upgrades on whichever server serves its page.
 */
async function startInspector(
  config: Config,
  services: AdminServices,
  compute: { server: Listening; publicUrl: string } | undefined,
  clock: Clock,
  logger: Logger,
  mount: (m: Koa.Middleware) => void,
  identityUrl: () => string,
): Promise<{ url: string; stream: InspectorStream; own?: Listening } | undefined> {
  const path = config.inspector.path;
  if (config.inspector.port === 0 && !compute) return undefined;
  const stream = new InspectorStream(services, { path, batchMs: config.inspector.batchMs, clock, logger });
  if (config.inspector.port === 0 && compute) {
    mount(mountInspector(path, inspectorApp(services, { path, identityUrl }, logger)));
    stream.attach(compute.server.server);
    return { url: `${compute.publicUrl}${path}/`, stream };
  }
  const own = await listen(inspectorApp(services, { path, identityUrl }, logger), config.listen.host, config.inspector.port);
  stream.attach(own.server);
  return { url: `${own.url}${path}/`, stream, own };
}

async function startCompute(
  config: Config,
  db: Database,
  clock: Clock,
  logger: Logger,
  identity: Identity,
  images: ImageServices,
  actors: ActorGateway,
  scheduler: (key: string) => string,
  extensions: CloudExtensions,
  nodeGone: ComputeServices['nodeGone'],
  consolePorts: BoundConsolePorts,
  network: NetworkDeps | undefined,
) {
  let publicUrl = '';
  const server = await listen(
    computeApp(
      {
        models: db.models,
        identity: identityService(identity.services),
        images: {
          ...imageService(images.repo),
          ...serverImages(images.repo, clock, images.publicUrl),
          ...imageProxy(images.repo, images.store, clock, images.publicUrl),
        },
        actors,
        ...(network ? { network } : {}),
        clock,
        scheduler,
        nodeId: config.nodeId,
        quotas: config.quotas,
        serviceDownMs: config.timeouts.serviceDownMs,
        ...(nodeGone ? { nodeGone } : {}),
        publicUrl: () => publicUrl,
        maxServersPerRequest: config.quotas.maxServersPerRequest,
        reservationMs: config.quotas.reservationMs,
        defaultScheduleZone: defaultScheduleZone(config),
        moves: config.moves,
        reclaimInstanceMs: config.timeouts.reclaimInstanceMs,
        consoles: consoleSettings(config, consolePorts),
      },
      logger,
      extensions.computeMiddleware,
    ),
    config.listen.host,
    config.listen.compute,
  );
  publicUrl = `http://${config.publicHost}:${new URL(server.url).port}`;
  identity.services.catalog.register({ type: 'compute', name: 'nova', url: () => `${publicUrl}/v2.1` });
  // admin stays unlimited; demo, like any project, has Nova's default quotas.
  const admin = await identity.services.directory.projectByName('admin', 'default');
  await seedCompute(db.models, new Date(clock.now()), admin ? [admin.id] : []);
  return { server, publicUrl };
}
