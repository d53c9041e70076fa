import { createHash } from 'node:crypto';

export interface CatalogService {
  readonly type: string;
  readonly name: string;
  /** The URL of the service; `{project_id}` is filled in from the token's project. */
  readonly url: () => string;
}

const REGION = 'RegionOne';
const INTERFACES = ['public', 'internal', 'admin'] as const;
// Ids are derived from names so every node and every restart presents the same catalog.
const stableId = (...parts: string[]) => createHash('sha256').update(parts.join('/')).digest('hex').slice(0, 32);

/** The service catalog: every Stratus endpoint, on three interfaces in RegionOne. */
export class Catalog {
  private readonly services: CatalogService[] = [];

  register(service: CatalogService): void {
    this.services.push(service);
  }

  render(projectId?: string) {
    return this.services.map((s) => ({
      type: s.type,
      name: s.name,
      id: stableId(s.type, s.name),
      endpoints: INTERFACES.map((iface) => ({
        id: stableId(s.type, s.name, iface),
        interface: iface,
        region: REGION,
        region_id: REGION,
        url: s.url().replace('{project_id}', projectId ?? ''),
      })),
    }));
  }
}
