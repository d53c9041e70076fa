import { createHash } from 'node:crypto';
import { UniqueConstraintError } from 'sequelize';
import type { EndpointRow, Models, ServiceRow } from '../../models/index.js';
import { readRows } from '../../models/typed.js';
import type { Clock } from '../../runtime/clock.js';
import { TtlCache } from './ttl-cache.js';

/** A service this cloud runs, as the configuration places it: seeded into the catalog on first start. */
export interface ConfiguredService {
  readonly type: string;
  readonly name: string;
  /** The URL of the service as this node serves it; empty until the service listens. */
  readonly url: () => string;
}

export const SEED_REGION = 'RegionOne';
const INTERFACES = ['public', 'internal', 'admin'] as const;
// Seeded ids are derived from names so every node seeds the same rows (and tokens issued before the catalog
// became rows keep naming the same services).
const stableId = (...parts: string[]) => createHash('sha256').update(parts.join('/')).digest('hex').slice(0, 32);

interface Rows {
  services: ServiceRow[];
  endpoints: Map<string, EndpointRow[]>;
}

/**
 * The service catalog, read from the regions, services and endpoints tables (cached until an identity write on
 * this node, or a second for writes elsewhere). Configured services are seeded into the tables the first time
 * they are seen; afterwards the API owns them, except that an endpoint nobody changed follows the configured URL
 * (so a new `publicHost` reaches clients).
 */
export class Catalog {
  private readonly configured: ConfiguredService[] = [];
  private unseeded: ConfiguredService[] = [];
  private seeding: Promise<void> | undefined;
  private readonly rows: TtlCache<Rows>;

  constructor(
    private readonly models: Models,
    private readonly clock: Clock,
    generation: () => number,
    private readonly changed: () => void,
  ) {
    this.rows = new TtlCache(clock, generation);
  }

  register(service: ConfiguredService): void {
    this.configured.push(service);
    this.unseeded.push(service);
  }

  /** Seeds what was registered since the last call (the ones whose URL is known yet). */
  async seed(): Promise<void> {
    while (this.seeding) await this.seeding;
    const ready = this.unseeded.filter((s) => /^https?:\/\//.test(s.url()));
    if (!ready.length) return;
    this.unseeded = this.unseeded.filter((s) => !ready.includes(s));
    this.seeding = (async () => {
      try {
        for (const service of ready) await this.seedOne(service);
      } catch (error) {
        this.unseeded.push(...ready);
        throw error;
      } finally {
        this.seeding = undefined;
        this.changed();
      }
    })();
    await this.seeding;
  }

  /** The catalog a token for this project (or domain, with none) carries, as Keystone renders it. */
  async render(projectId?: string, userId?: string) {
    const { services, endpoints } = await this.load();
    const values: Record<string, string | undefined> = { project_id: projectId, tenant_id: projectId, user_id: userId };
    return services.map((s) => ({
      type: s.type,
      name: s.name ?? '',
      id: s.id,
      endpoints: (endpoints.get(s.id) ?? []).flatMap((e) => {
        const url = formatUrl(e.url, values);
        return url === undefined ? [] : [{ id: e.id, interface: e.interface, region: e.region_id, region_id: e.region_id, url }];
      }),
    }));
  }

  private async load(): Promise<Rows> {
    if (this.unseeded.length) await this.seed();
    return this.rows.through('catalog', async () => {
      const services = await readRows(this.models.CatalogService, { where: { enabled: true }, order: [['id', 'ASC']] });
      const endpoints = new Map<string, EndpointRow[]>();
      for (const e of await readRows(this.models.Endpoint, { where: { enabled: true }, order: [['id', 'ASC']] })) {
        endpoints.set(e.service_id, [...(endpoints.get(e.service_id) ?? []), e]);
      }
      return { services, endpoints };
    });
  }

  private async seedOne(service: ConfiguredService): Promise<void> {
    const key = `${service.type}/${service.name}`;
    const url = service.url();
    const now = new Date(this.clock.now());
    const stamp = { created_at: now, updated_at: now };
    const { CatalogSeed, CatalogService, Endpoint, Region } = this.models;
    const first = await CatalogSeed.sequelize!.transaction(async (transaction) => {
      // The seed row is the claim: of nodes starting together, one seeds and the others find it.
      const [, created] = await CatalogSeed.findOrCreate({ where: { key }, defaults: { key, created_at: now }, transaction });
      if (!created) return false;
      await Region.findOrCreate({
        where: { id: SEED_REGION },
        defaults: { id: SEED_REGION, description: '', parent_region_id: null, ...stamp },
        transaction,
      });
      const serviceId = stableId(service.type, service.name);
      if (!(await CatalogService.findByPk(serviceId, { transaction }))) {
        await CatalogService.create(
          { id: serviceId, type: service.type, name: service.name, description: null, enabled: true, ...stamp },
          { transaction },
        );
      }
      for (const iface of INTERFACES) {
        const id = stableId(service.type, service.name, iface);
        if (await Endpoint.findByPk(id, { transaction })) continue;
        await Endpoint.create(
          { id, service_id: serviceId, interface: iface, region_id: SEED_REGION, url, enabled: true, seed: key, ...stamp },
          { transaction },
        );
      }
      return true;
    }).catch((error: unknown) => {
      // Another node's seed row went in while this one's transaction waited for it.
      if (error instanceof UniqueConstraintError) return false;
      throw error;
    });
    // Seeded before: endpoints still as seeded follow this start's configuration.
    if (!first) await Endpoint.update({ url, updated_at: now }, { where: { seed: key } });
  }
}

/**
 * An endpoint URL with Keystone's substitutions (`$(project_id)s`, `%(tenant_id)s`, `$(user_id)s`) made; undefined
 * when it names a value this token lacks or one Keystone does not know (Keystone leaves such endpoints out).
 */
export function formatUrl(url: string, values: Record<string, string | undefined>): string | undefined {
  let missing = false;
  const out = url.replace(/[$%]\(([^)]*)\)s/g, (_, key: string) => {
    const value = Object.hasOwn(values, key) ? values[key] : undefined;
    if (value === undefined) missing = true;
    return value ?? '';
  });
  return missing ? undefined : out;
}
