import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Type, type Static, type TSchema, Kind } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';

// The one configuration of a Stratus node. Defaults serve a one-machine start; a JSON file,
// then environment variables, override them; everything is validated before anything starts.

const int = (min: number, max: number | undefined, dflt: number, description: string) =>
  Type.Integer({ minimum: min, ...(max === undefined ? {} : { maximum: max }), default: dflt, description });
const port = (dflt: number, description: string) => int(0, 65535, dflt, description);
const ms = (min: number, dflt: number, description: string) => int(min, undefined, dflt, description);
const section = <T extends Record<string, TSchema>>(properties: T) => Type.Object(properties, { additionalProperties: false, default: {} });

const ratio = (dflt: number, description: string) => Type.Number({ exclusiveMinimum: 0, default: dflt, description });

const HostSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$' }),
    uri: Type.Optional(Type.String({ minLength: 1 })),
    availabilityZone: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    vcpus: Type.Optional(Type.Integer({ minimum: 1 })),
    memoryMb: Type.Optional(Type.Integer({ minimum: 1 })),
    diskGb: Type.Optional(Type.Integer({ minimum: 1 })),
    cpuAllocationRatio: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    ramAllocationRatio: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    diskAllocationRatio: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  },
  { additionalProperties: false },
);

export const ROLES = ['api', 'scheduler', 'compute', 'console', 'network'] as const;
export type Role = (typeof ROLES)[number];
/** Roles a node may hold that start nothing yet (none today: every role runs something). */
export const RESERVED_ROLES: readonly Role[] = [];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const ConfigSchema = Type.Object(
  {
    nodeId: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$', default: 'node-1', description: 'this node’s name in the cluster' }),
    roles: Type.Array(Type.Union(ROLES.map((r) => Type.Literal(r))), {
      minItems: 1,
      uniqueItems: true,
      default: [...ROLES],
      description:
        'roles this node holds: api (the HTTP services), scheduler (the scheduler actor), compute (its hypervisors’ host actors), console (the console proxies when consoles.proxies is set), network (the router actors; network actors also live on api nodes)',
    }),
    stateDir: Type.String({ minLength: 1, default: '.stratus', description: 'where everything the cloud writes goes' }),
    databaseUrl: Type.String({ default: '', description: 'postgres://… or sqlite:<path>; empty: <stateDir>/stratus.sqlite' }),
    redisUrl: Type.String({
      pattern: '^$|^rediss?://',
      default: '',
      description:
        'empty: this process is the whole cloud (in-process delivery); redis://… or rediss://… (user and password in the URL for AUTH/ACL): a cluster node sharing databaseUrl and this Redis with the others',
    }),
    redis: section({
      tlsCaFile: Type.String({
        default: '',
        description: 'PEM file of the CA that signed the Redis server’s certificate (rediss:// only); empty: the system’s CAs',
      }),
      keyPrefix: Type.String({
        pattern: '^[A-Za-z0-9:._-]{1,64}$',
        default: 'stratus:',
        description: 'prefix of every Redis key this cluster uses (clusters sharing one Redis need different ones)',
      }),
    }),
    cluster: section({
      address: Type.String({
        pattern: '^$|^https?://',
        default: '',
        description: 'URL of this node’s admin API as the other nodes and operators reach it; empty: http://<publicHost>:<listen.admin>',
      }),
      leaseMs: ms(
        100,
        5_000,
        'membership lease: a node renews it every leaseMs/3 in the database; one not renewed for leaseMs is down and its actors move',
      ),
      sweepMs: ms(10, 1_000, 'how often a node reads the other nodes’ leases between its renewals (joins, drains and lapsed leases seen within it)'),
      redeliverAfterMs: ms(100, 30_000, 'a durable message delivered but not acknowledged this long is delivered again'),
      maxPending: int(
        1,
        undefined,
        10_000,
        'most messages waiting for one node in Redis; at the bound a sender waits sendWaitMs, then is refused (overloaded)',
      ),
      sendWaitMs: ms(0, 1_000, 'how long a send waits for room at maxPending before it is refused; 0: refused at once'),
      drainMs: ms(0, 30_000, 'longest a drain (operator’s, or SIGTERM’s before the graceful stop) waits for movable actors to be handed over'),
      weights: section({
        api: Type.Number({
          minimum: 0,
          default: 1,
          description: 'placement weight of a node holding the api role (no movable kind lives on api alone)',
        }),
        scheduler: Type.Number({
          minimum: 0,
          default: 1,
          description: 'placement weight of a node holding the scheduler role for movable actors (instances, schedulers); 0: none',
        }),
        compute: Type.Number({
          minimum: 0,
          default: 1,
          description: 'placement weight of a node holding the compute role for movable actors (instances); 0: none',
        }),
        console: Type.Number({ minimum: 0, default: 1, description: 'placement weight of the console role' }),
        network: Type.Number({ minimum: 0, default: 1, description: 'placement weight of the network role' }),
      }),
    }),
    publicHost: Type.String({ minLength: 1, default: '127.0.0.1', description: 'host name clients use in catalog URLs' }),
    myIp: Type.String({
      pattern: '^$|^[0-9]{1,3}(\\.[0-9]{1,3}){3}$|^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$',
      default: '',
      description: 'this node’s address, shown as its hypervisors’ host_ip (Nova’s my_ip); empty: the IPv4 address of the default route’s interface',
    }),
    libvirt: section({
      uris: Type.Array(Type.String({ minLength: 1 }), {
        default: [],
        description: 'libvirt URIs of real hypervisors, e.g. qemu:///system (comma-separated); empty: simulated hosts',
      }),
      simulatedHosts: int(0, 64, 3, 'simulated hypervisors started when no URI is given'),
      hostPrefix: Type.String({
        pattern: '^[a-z][a-z0-9-]{0,30}$',
        default: 'compute',
        description: 'simulated hosts are named <prefix>-1, <prefix>-2, …',
      }),
      availabilityZone: Type.String({
        minLength: 1,
        maxLength: 255,
        default: 'nova',
        description: 'availability zone of every host not given one in libvirt.hosts',
      }),
      vcpus: int(1, undefined, 16, 'vCPUs of a simulated host'),
      memoryMb: int(1, undefined, 32_768, 'RAM (MB) of a simulated host'),
      diskGb: int(1, undefined, 500, 'disk (GB) of a simulated host'),
      cpuAllocationRatio: ratio(16, 'vCPU overcommit (Nova’s initial_cpu_allocation_ratio)'),
      ramAllocationRatio: ratio(1.5, 'RAM overcommit (Nova’s initial_ram_allocation_ratio)'),
      diskAllocationRatio: ratio(1, 'disk overcommit (Nova’s initial_disk_allocation_ratio)'),
      hosts: Type.Array(HostSchema, {
        default: [],
        description:
          'hosts one by one (JSON list of {name, uri, availabilityZone, vcpus, memoryMb, diskGb, *AllocationRatio}; no uri: simulated); replaces the generated ones',
      }),
      realHost: Type.Boolean({
        default: true,
        description:
          'run one real hypervisor (a private QEMU libvirtd, see qemu.*) in qemu.availabilityZone beside the simulated hosts, which then are in qemu.simulatedZone; false: simulated hosts only, in availabilityZone',
      }),
      virtType: Type.Union([Type.Literal('auto'), Type.Literal('kvm'), Type.Literal('qemu')], {
        default: 'auto',
        description: 'virtualization of real guests: kvm, qemu (TCG), or auto (TCG until a probe boot can tell that KVM runs Linux guests here)',
      }),
    }),
    qemu: section({
      hostName: Type.String({
        pattern: '^$|^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$',
        default: '',
        description: 'name of the real host; empty: qemu-<nodeId>, so that compute nodes never share one',
      }),
      availabilityZone: Type.String({ minLength: 1, maxLength: 255, default: 'nova', description: 'availability zone of the real host' }),
      simulatedZone: Type.String({
        minLength: 1,
        maxLength: 255,
        default: 'simulated',
        description: 'availability zone of the simulated hosts while the real host runs',
      }),
      reservedHostMemoryMb: int(0, undefined, 512, 'RAM kept back for the host itself (Nova’s reserved_host_memory_mb)'),
      cpuAllocationRatio: ratio(4, 'vCPU overcommit of the real host (Nova’s initial_cpu_allocation_ratio)'),
      ramAllocationRatio: ratio(1, 'RAM overcommit of the real host: 1, as guests really use their RAM'),
      diskAllocationRatio: ratio(1, 'disk overcommit of the real host'),
      consoleListen: Type.String({ minLength: 1, default: '127.0.0.1', description: 'address the guests’ VNC, SPICE and serial consoles listen on' }),
      serialPortMin: port(10000, 'lowest TCP port of a guest’s serial console (Nova’s serial_console.port_range)'),
      serialPortMax: port(20000, 'highest TCP port of a guest’s serial console'),
      consoleLogMaxBytes: int(4096, undefined, 2_097_152, 'size at which virtlogd rotates a guest’s console log (its max_size)'),
      consoleLogBackups: int(0, 100, 3, 'rotated console logs kept (virtlogd’s max_backups)'),
      stoppedEventDelayMs: ms(
        0,
        15_000,
        'how long a STOPPED event is held back before power_state says so (Nova’s 15 s: a reboot inside the guest never shows SHUTOFF)',
      ),
      powerSyncMs: ms(
        1_000,
        60_000,
        'how often power states are read from the hypervisor, for what events missed (Nova’s sync_power_state_interval)',
      ),
      keepaliveIntervalS: int(1, 600, 5, 'libvirt keepalive interval (s) of the connection to the daemon'),
      keepaliveCount: int(1, 100, 3, 'unanswered keepalives after which the connection counts as lost'),
      imageCacheMaxAgeS: int(
        0,
        undefined,
        86_400,
        'an image base no instance of the host uses is removed from its cache this long after its last use (Nova’s remove_unused_original_minimum_age_seconds)',
      ),
      imageCacheSweepMs: ms(1_000, 2_400_000, 'how often a host looks for unused image bases (Nova’s image_cache.manager_interval)'),
      qemuImgCpuSeconds: int(1, 3_600, 30, 'CPU time qemu-img may use on an image (Nova’s QEMU_IMG_LIMITS: 30 s)'),
      qemuImgAddressSpaceMb: int(16, undefined, 1_024, 'address space qemu-img may map, in MiB (Nova’s QEMU_IMG_LIMITS: 1 GiB)'),
      linuxImage: Type.Boolean({
        default: true,
        description: 'with the real host, build stratus-linux from Debian packages (once per machine) and register it at start',
      }),
      linuxImageCacheDir: Type.String({
        minLength: 1,
        default: '/var/cache/stratus/linux',
        description: 'where stratus-linux builds are kept, one folder per digest of their inputs, shared by every cloud on the machine',
      }),
      forceConfigDrive: Type.Boolean({
        default: false,
        description: 'give every real guest a config drive, asked for or not (Nova’s force_config_drive)',
      }),
      capabilityCacheDir: Type.String({
        default: '',
        description: 'folder for QEMU’s capability cache, shared by daemons (saves each new one an 8 s probe); empty: inside the host’s own folder',
      }),
    }),
    scheduler: section({
      maxAttempts: int(1, 10, 3, 'hosts tried for one boot before it fails (Nova’s max_attempts)'),
      defaultScheduleZone: Type.String({
        default: '',
        maxLength: 255,
        description:
          'zone of a boot that names none (Nova’s default_schedule_zone); empty: qemu.availabilityZone while libvirt.realHost runs, else any zone',
      }),
      ramWeightMultiplier: Type.Number({
        default: 1,
        minimum: -1000,
        maximum: 1000,
        description: 'weight of free RAM when choosing a host (Nova’s ram_weight_multiplier): positive spreads, negative packs',
      }),
    }),
    moves: section({
      allowResizeToSameHost: Type.Boolean({ default: false, description: 'a resize may stay on its host (Nova’s allow_resize_to_same_host)' }),
      resizeConfirmWindowS: int(
        0,
        undefined,
        0,
        'a resize not confirmed within this many seconds is confirmed (Nova’s resize_confirm_window); 0: never',
      ),
    }),
    consoles: section({
      proxies: Type.Boolean({
        default: true,
        description: 'run the console proxies (noVNC on listen.console, SPICE and serial) on a node with the console role',
      }),
      tokenTtlS: int(1, 86_400, 600, 'how long a console token opens its console (Nova’s [consoleauth] token_ttl)'),
      enforceSessionTimeout: Type.Boolean({
        default: true,
        description: 'a console session open when its token expires is closed then (Nova’s optional [consoleauth] enforce_session_timeout)',
      }),
      novncBaseUrl: Type.String({
        default: '',
        description: 'base of noVNC console URLs (Nova’s novncproxy_base_url); empty: http(s)://<publicHost>:<listen.console>/vnc_lite.html',
      }),
      spiceBaseUrl: Type.String({
        default: '',
        description: 'base of SPICE console URLs (Nova’s html5proxy_base_url); empty: http(s)://<publicHost>:<consoles.spicePort>/spice_auto.html',
      }),
      serialBaseUrl: Type.String({
        default: '',
        description: 'base of serial console URLs (Nova’s [serial_console] base_url); empty: ws(s)://<publicHost>:<consoles.serialPort>/',
      }),
      spicePort: port(6082, 'port of the SPICE console proxy (nova-spicehtml5proxy’s)'),
      serialPort: port(6083, 'port of the serial console proxy (nova-serialproxy’s)'),
      allowedOrigins: Type.Array(Type.String({ minLength: 1, maxLength: 255 }), {
        default: [],
        maxItems: 100,
        description: 'host names besides the proxy’s own that a console WebSocket’s Origin may name (Nova’s [console] allowed_origins)',
      }),
      failedTokensPerMinute: int(1, undefined, 10, 'wrong or expired console tokens one client may present per minute; past it: 429'),
      sessionsPerToken: int(1, undefined, 2, 'console sessions open at once with one token'),
      sessionsPerServer: int(1, undefined, 4, 'console sessions open at once to one server, all protocols'),
      bufferBytes: int(4_096, undefined, 1_048_576, 'bytes a console session buffers per direction before it stops reading the other end'),
      sslOnly: Type.Boolean({ default: false, description: 'console proxies answer only TLS connections (Nova’s ssl_only)' }),
      certFile: Type.String({ default: '', description: 'PEM certificate of the console proxies (TLS when set with keyFile)' }),
      keyFile: Type.String({ default: '', description: 'PEM private key of the console proxies' }),
    }),
    quotas: section({
      instances: int(-1, undefined, 10, 'default instances per project (-1: unlimited)'),
      cores: int(-1, undefined, 20, 'default vCPUs per project (-1: unlimited)'),
      ramMb: int(-1, undefined, 51_200, 'default RAM (MB) per project (-1: unlimited)'),
      keyPairs: int(-1, undefined, 100, 'default key pairs per user (-1: unlimited)'),
      maxServersPerRequest: int(1, 100_000, 1_000, 'most servers one POST /servers creates, whatever the quota (min_count above it is refused)'),
      reservationMs: ms(1, 600_000, 'how long a boot’s quota reservation holds if its API node dies before the servers are recorded'),
    }),
    // TEST-ONLY: every key here is a fault hook, honoured only under the test harness (see TEST_ONLY_SECTIONS).
    faults: section({
      spawnFailHosts: Type.Array(Type.String({ minLength: 1 }), {
        default: [],
        description: 'TEST-ONLY (refused outside the test harness): hosts whose spawns fail (libvirt’s test driver cannot fail one)',
      }),
      ignoreShutdownHosts: Type.Array(Type.String({ minLength: 1 }), {
        default: [],
        description: 'TEST-ONLY (refused outside the test harness): hosts whose guests ignore shutdown requests (the test driver’s always obey)',
      }),
      clusterProtocolVersion: int(
        0,
        undefined,
        0,
        'TEST-ONLY (refused outside the test harness): the cluster protocol version this node announces; 0: its own (a node of another release, without building one)',
      ),
      dropEventsFile: Type.String({
        default: '',
        description:
          'TEST-ONLY (refused outside the test harness): while this file exists, real hypervisors’ lifecycle events are dropped (as if their event connection were cut), so only the periodic sync sees changes',
      }),
      spawnDelayMs: ms(
        0,
        0,
        'TEST-ONLY (refused outside the test harness): how long a spawn, an image-based action (snapshot, shelve, rescue, rebuild…) or a move’s crossing step (finishResize, liveOut) on this node’s hosts waits before touching its domain; 0: none (held on its host, e.g. to kill the node meanwhile)',
      ),
    }),
    listen: section({
      host: Type.String({ minLength: 1, default: '127.0.0.1', description: 'address the services listen on' }),
      ops: port(9780, 'port of /healthz and /metrics'),
      identity: port(5000, 'Keystone API port'),
      image: port(9292, 'Glance API port'),
      network: port(9696, 'Neutron (Networking API v2.0) port'),
      compute: port(8774, 'Nova API port'),
      metadata: port(8775, 'PLANNED, nothing listens on it yet: metadata service port'),
      console: port(6080, 'port of the noVNC console proxy (nova-novncproxy’s), on nodes with the console role'),
      admin: port(8780, 'operator API port (actors, dead letters, cluster nodes), on every node whatever its roles'),
    }),
    timeouts: section({
      requestMs: ms(1, 30_000, 'request/reply timeout between actors'),
      shutdownMs: ms(1, 10_000, 'longest a graceful stop may take'),
      reportIntervalMs: ms(1, 10_000, 'how often a compute service reports in (Nova’s report_interval)'),
      serviceDownMs: ms(1, 60_000, 'a compute service silent this long is down (Nova’s service_down_time)'),
      cleanShutdownMs: ms(0, 60_000, 'how long a server stop waits for the guest before destroying it'),
      softRebootMs: ms(
        0,
        120_000,
        'how long a soft reboot waits for the guest to shut down before rebooting it hard (Nova’s wait_soft_reboot_seconds)',
      ),
      hypervisorRetryMs: ms(1, 2_000, 'how often an operation whose hypervisor did not answer is tried again'),
      hypervisorWaitMs: ms(
        0,
        120_000,
        'how long a power action waits for an unreachable hypervisor before it fails with a fault (a delete waits for it)',
      ),
      buildMs: ms(1, 600_000, 'a server not built within this goes to ERROR with a fault (Nova’s instance_build_timeout)'),
      reclaimInstanceMs: ms(0, 0, 'above 0, a deleted server is SOFT_DELETED and reclaimed this long after (Nova’s reclaim_instance_interval)'),
      actionMs: ms(
        1,
        600_000,
        'a power action not reported done within this has its task cleared with a fault; keep it above cleanShutdownMs, softRebootMs and hypervisorWaitMs',
      ),
      shelvedOffloadMs: int(
        -1,
        undefined,
        0,
        'a shelved server is offloaded from its host this long after the shelve (Nova’s shelved_offload_time): 0 at once, -1 never',
      ),
    }),
    supervision: section({
      maxRestarts: int(0, undefined, 5, 'restarts allowed within withinMs before an actor is marked failed'),
      withinMs: ms(1, 60_000, 'the restart-intensity window'),
      backoffBaseMs: ms(0, 100, 'first restart delay; it doubles with each restart in the window'),
      backoffMaxMs: ms(0, 30_000, 'longest restart delay'),
      maxMessageAttempts: int(1, undefined, 3, 'attempts before a crashing message is dead-lettered'),
      crashHistory: int(1, undefined, 20, 'crashes kept per actor'),
    }),
    passivation: section({
      sweepMs: ms(1, 1_000, 'how often idle actors are looked for'),
      instanceMs: ms(1, 600_000, 'idle time before an instance actor passivates'),
    }),
    identity: section({
      tokenTtlMs: ms(1_000, 3_600_000, 'how long a token is valid (Keystone’s default: one hour)'),
      revocationPollMs: ms(10, 500, 'how often a node picks up revocations made on other nodes'),
      cloudsYaml: Type.String({ minLength: 1, default: 'clouds.yaml', description: 'where the first start writes clouds.yaml' }),
      listLimit: int(
        1,
        undefined,
        1_000,
        'most entries an identity list answers and reads; a longer one is marked truncated (Keystone’s list_limit)',
      ),
    }),
    networking: section({
      publicCidr: Type.String({
        default: '172.24.4.0/24',
        pattern: '^[0-9.]+/[0-9]+$',
        description: 'IPv4 subnet of the external network public made on the first start (devstack’s)',
      }),
      privateCidr: Type.String({
        default: '10.0.0.0/26',
        pattern: '^[0-9.]+/[0-9]+$',
        description: 'IPv4 subnet of the demo project’s network private made on the first start (devstack’s)',
      }),
      portReconcileMs: Type.Integer({
        default: 1000,
        minimum: 50,
        description: 'how often servers’ ports are brought in line with the servers (binding host after a move, ports of deleted servers)',
      }),
      orphanPortGraceMs: Type.Integer({
        default: 120_000,
        minimum: 0,
        description:
          'age after which a port made for a server whose boot never committed is removed (a lone API node removes those of an earlier process at once)',
      }),
    }),
    dataplane: section({
      enabled: Type.Union([Type.Literal('auto'), Type.Literal('on'), Type.Literal('off')], {
        default: 'auto',
        description:
          'program this machine’s data plane (bridges, taps, rules, DHCP, metadata proxies) for the guests of the compute hosts it drives, and serve the metadata service; auto: when it runs as root with `ip` available',
      }),
      pollMs: ms(1, 2_000, 'how often the data plane compares the tables’ plan with the one applied (and applies a changed one)'),
      repairMs: ms(1, 60_000, 'how often the data plane is applied even when the plan is unchanged (repairs what was changed outside)'),
    }),
    images: section({
      storeDir: Type.String({ default: '', description: 'where image bytes are kept (several nodes may share it); empty: <stateDir>/images' }),
      sizeCapBytes: int(1, undefined, 1_099_511_627_776, 'largest image an upload may store (Glance’s image_size_cap); more answers 413'),
      userStorageQuotaBytes: int(0, undefined, 0, 'image bytes a project may store in all (Glance’s user_storage_quota); 0: unlimited'),
      uploadStaleMs: ms(1_000, 60_000, 'an upload whose partial file is untouched this long is dead (its image goes back to queued)'),
      requestTimeoutMs: ms(0, 0, 'longest an image request may take to arrive whole; 0: no limit, so large uploads are not cut'),
      idleTimeoutMs: ms(1_000, 120_000, 'an image connection that moves no byte this long is closed (stalled uploads and downloads)'),
    }),
    store: section({
      maxBatch: int(1, 5_000, 500, 'most writes in one group commit'),
      inboxRetentionMs: ms(60_000, 3_600_000, 'how long handled message ids are kept to recognise a message delivered twice'),
      inboxPruneMs: ms(1_000, 600_000, 'how often older handled message ids are dropped'),
      sqliteSynchronous: Type.Union([Type.Literal('normal'), Type.Literal('full')], {
        default: 'full',
        description:
          'SQLite only: full syncs its log at every commit (a commit survives a power loss); normal syncs at checkpoints (a commit survives a kill -9 of Stratus, not a power loss)',
      }),
    }),
    introspection: section({ recentMessages: int(0, 1_000, 8, 'messages remembered per live actor for the inspector') }),
    inspector: section({
      path: Type.String({
        pattern: '^/[a-z0-9-]{1,32}$',
        default: '/inspector',
        description: 'path of the actor-tree inspector’s page, its JSON API (<path>/api) and its change stream (<path>/stream)',
      }),
      port: port(0, 'port of the inspector; 0: on the compute API’s port (listen.compute), on nodes with the api role only'),
      batchMs: ms(50, 500, 'how often the change stream sends a batch (counts, the page’s window, a sequence number)'),
      auditRetentionMs: ms(60_000, 30 * 24 * 3_600_000, 'how long operator actions stay in the audit table'),
    }),
    log: section({
      level: Type.Union(
        LOG_LEVELS.map((l) => Type.Literal(l)),
        { default: 'info', description: 'pino log level' },
      ),
    }),
    metrics: section({ allowRemote: Type.Boolean({ default: false, description: 'serve /metrics beyond the loopback interface' }) }),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;

/**
 * Sections whose every key is test machinery: a start outside the test harness refuses any of them set
 * to other than its default, so adding a key to one of them needs nothing more.
 */
export const TEST_ONLY_SECTIONS = ['faults'] as const;

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`configuration error:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface ConfigKey {
  path: string;
  env: string;
  default: unknown;
  description: string;
  schema: TSchema;
}

const snake = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** Every leaf key with its environment variable, default and description (the README's table). */
export function configKeys(schema: TSchema = ConfigSchema, prefix: string[] = []): ConfigKey[] {
  if (schema[Kind] === 'Object') {
    return Object.entries(schema.properties as Record<string, TSchema>).flatMap(([k, s]) => configKeys(s, [...prefix, k]));
  }
  return [
    {
      path: prefix.join('.'),
      env: `STRATUS_${prefix.map(snake).join('_')}`,
      default: schema.default,
      description: schema.description ?? '',
      schema,
    },
  ];
}

const ALIASES: Record<string, string> = { databaseUrl: 'DATABASE_URL', redisUrl: 'REDIS_URL' };

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  file?: string;
  cwd?: string;
  overrides?: DeepPartial<Config>;
  /** Honour the test-only sections: only the test harness and in-process tests set it. */
  allowTestOnly?: boolean;
}

/** Builds and validates the configuration: defaults < file < environment < overrides. */
export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const sources = new Map<string, string>();
  const problems: string[] = [];
  const raw: Record<string, unknown> = {};

  const file = options.file ?? env.STRATUS_CONFIG ?? (existsSync(resolve(cwd, 'stratus.config.json')) ? 'stratus.config.json' : undefined);
  if (file) {
    const path = resolve(cwd, file);
    try {
      merge(raw, JSON.parse(readFileSync(path, 'utf8')), [], sources, `file ${path}`);
    } catch (error) {
      throw new ConfigError([`config file ${path}: ${(error as Error).message}`]);
    }
  }
  for (const key of configKeys()) {
    const name = env[key.env] !== undefined ? key.env : ALIASES[key.path];
    const text = name ? env[name] : undefined;
    if (text === undefined) continue;
    const value = fromEnv(key.schema, text);
    if (value === undefined) problems.push(`${key.path} (env ${name}): expected ${expected(key.schema)}, got ${JSON.stringify(text)}`);
    else setPath(raw, key.path.split('.'), value, sources, `env ${name}`);
  }
  if (options.overrides) merge(raw, options.overrides, [], sources, 'override');

  const config = Value.Default(ConfigSchema, raw) as Config;
  const reported = new Set<string>();
  for (const error of Value.Errors(ConfigSchema, config)) {
    const problem = describe(error, config, sources);
    if (!reported.has(problem)) problems.push(problem);
    reported.add(problem);
  }
  const { backoffBaseMs, backoffMaxMs } = config.supervision ?? {};
  if (typeof backoffBaseMs === 'number' && typeof backoffMaxMs === 'number' && backoffMaxMs < backoffBaseMs) {
    problems.push(
      `supervision.backoffMaxMs (${sourceOf('supervision.backoffMaxMs', sources)}): expected at least supervision.backoffBaseMs (${backoffBaseMs}, ${sourceOf('supervision.backoffBaseMs', sources)}), got ${backoffMaxMs}`,
    );
  }
  problems.push(...clusterProblems(config, sources));
  if (!options.allowTestOnly) problems.push(...testOnlyProblems(config, sources));
  if (typeof config.stateDir === 'string') config.stateDir = resolve(cwd, config.stateDir);
  if (typeof config.redis?.tlsCaFile === 'string' && config.redis.tlsCaFile) config.redis.tlsCaFile = resolve(cwd, config.redis.tlsCaFile);
  if (typeof config.identity?.cloudsYaml === 'string') config.identity.cloudsYaml = resolve(cwd, config.identity.cloudsYaml);
  if (typeof config.images?.storeDir === 'string' && typeof config.stateDir === 'string') {
    config.images.storeDir = config.images.storeDir ? resolve(cwd, config.images.storeDir) : resolve(config.stateDir, 'images');
  }
  if (typeof config.databaseUrl === 'string') {
    const url = resolveDatabaseUrl(config.databaseUrl, config.stateDir, cwd);
    if (url) config.databaseUrl = url;
    else
      problems.push(
        `databaseUrl (${sourceOf('databaseUrl', sources)}): expected postgres://… or sqlite:<path>, got ${JSON.stringify(config.databaseUrl)}`,
      );
  }
  if (problems.length) throw new ConfigError(problems);
  return deepFreeze(config);
}

export function formatConfigError(error: unknown): string {
  return error instanceof ConfigError ? `stratus: ${error.message}` : `stratus: ${(error as Error)?.stack ?? String(error)}`;
}

/** Settings that are each valid but not together. */
function clusterProblems(config: Config, sources: Map<string, string>): string[] {
  const problems: string[] = [];
  const { leaseMs, sweepMs } = config.cluster ?? {};
  // A lease is renewed every leaseMs/3: a sweep slower than the lease would see nodes die late, by a whole sweep.
  if (typeof leaseMs === 'number' && typeof sweepMs === 'number' && sweepMs > leaseMs) {
    problems.push(
      `cluster.sweepMs (${sourceOf('cluster.sweepMs', sources)}): expected at most cluster.leaseMs (${leaseMs}, ${sourceOf('cluster.leaseMs', sources)}), got ${sweepMs}`,
    );
  }
  const caFile = config.redis?.tlsCaFile;
  if (typeof caFile === 'string' && caFile && typeof config.redisUrl === 'string' && !config.redisUrl.startsWith('rediss://')) {
    problems.push(
      `redis.tlsCaFile (${sourceOf('redis.tlsCaFile', sources)}): only for a rediss:// redisUrl, got redisUrl ${JSON.stringify(config.redisUrl)} (${sourceOf('redisUrl', sources)})`,
    );
  }
  return problems;
}

function testOnlyProblems(config: Config, sources: Map<string, string>): string[] {
  const defaults = Value.Default(ConfigSchema, {}) as Config;
  const at = (root: object, path: string) => path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], root);
  return configKeys()
    .filter((k) => TEST_ONLY_SECTIONS.some((section) => k.path.startsWith(`${section}.`)))
    .flatMap((key) => {
      const value = at(config, key.path);
      if (JSON.stringify(value) === JSON.stringify(at(defaults, key.path))) return [];
      return [
        `${key.path} (${sourceOf(key.path, sources)}): a test-only fault hook, refused outside the test harness (test/harness/stratus-test.ts); got ${JSON.stringify(value)}`,
      ];
    });
}

function resolveDatabaseUrl(url: string, stateDir: string, cwd: string): string | undefined {
  if (url === '') return `sqlite:${resolve(stateDir, 'stratus.sqlite')}`;
  if (/^postgres(ql)?:\/\//.test(url)) return url;
  const sqlite = /^sqlite:(?:\/\/)?(.+)$/.exec(url);
  if (!sqlite) return undefined;
  return sqlite[1] === ':memory:' ? 'sqlite::memory:' : `sqlite:${resolve(cwd, sqlite[1])}`;
}

function fromEnv(schema: TSchema, text: string): unknown {
  const kind = schema[Kind];
  if (kind === 'Array' && (schema.items as TSchema)[Kind] === 'Object') {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  if (kind === 'Array')
    return text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (kind === 'Integer' || kind === 'Number') {
    // Decimal only: Number() would also take "0x10", "" and "Infinity".
    return /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(text) ? Number(text) : undefined;
  }
  if (kind === 'Boolean')
    return ({ true: true, '1': true, yes: true, false: false, '0': false, no: false } as Record<string, boolean>)[text.toLowerCase()];
  return text;
}

function expected(schema: TSchema): string {
  const kind = schema[Kind];
  if (kind === 'Integer' || kind === 'Number') {
    const bounds = [schema.minimum !== undefined ? `>= ${schema.minimum}` : '', schema.maximum !== undefined ? `<= ${schema.maximum}` : ''].filter(
      Boolean,
    );
    return `${kind === 'Integer' ? 'integer' : 'number'}${bounds.length ? ` ${bounds.join(' and ')}` : ''}`;
  }
  if (kind === 'Union') return `one of ${(schema.anyOf as TSchema[]).map((s) => JSON.stringify(s.const)).join(', ')}`;
  if (kind === 'Array' && (schema.items as TSchema)[Kind] === 'Object') return 'a JSON list of objects';
  if (kind === 'Array')
    return `a list of ${expected(schema.items as TSchema)}${schema.uniqueItems ? ' without repeats' : ''}${schema.minItems ? ` (at least ${schema.minItems})` : ''}`;
  if (kind === 'Boolean') return 'true or false';
  if (kind === 'String') return schema.pattern ? `a string matching ${schema.pattern}` : schema.minLength ? 'a non-empty string' : 'a string';
  if (kind === 'Object') return 'an object';
  return kind;
}

function describe(error: ValueError, config: object, sources: Map<string, string>): string {
  const parts = error.path.split('/').filter(Boolean);
  const path = parts.join('.');
  if (error.type === ValueErrorType.ObjectAdditionalProperties) return `${path} (${sourceOf(path, sources)}): unknown key`;
  // An error inside a list is reported on the list as a whole, as it was given.
  const leaf = configKeys().find((k) => k.path === path || path.startsWith(`${k.path}.`));
  const at = leaf?.path ?? path;
  const value = at.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], config);
  return `${at} (${sourceOf(at, sources)}): expected ${expected(leaf?.schema ?? error.schema)}, got ${JSON.stringify(value)}`;
}

const sourceOf = (path: string, sources: Map<string, string>) => {
  for (let p = path; p; p = p.slice(0, Math.max(0, p.lastIndexOf('.')))) if (sources.has(p)) return sources.get(p)!;
  return 'default';
};

function merge(target: Record<string, unknown>, layer: unknown, prefix: string[], sources: Map<string, string>, source: string): void {
  if (!isRecord(layer)) throw new Error('expected a JSON object');
  for (const [key, value] of Object.entries(layer)) {
    const path = [...prefix, key];
    sources.set(path.join('.'), source);
    if (isRecord(value)) merge(childOf(target, key), value, path, sources, source);
    else put(target, key, value);
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown, sources: Map<string, string>, source: string): void {
  put(path.slice(0, -1).reduce(childOf, target), path[path.length - 1], value);
  sources.set(path.join('.'), source);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// Own properties only, so a file key such as "__proto__" or "constructor" is reported as an unknown key
// instead of reaching Object.prototype; a later layer's section replaces an earlier layer's scalar.
function childOf(node: Record<string, unknown>, key: string): Record<string, unknown> {
  const existing = Object.hasOwn(node, key) ? node[key] : undefined;
  if (isRecord(existing)) return existing;
  const fresh = {};
  put(node, key, fresh);
  return fresh;
}

function put(node: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
