import { fits, freeOf, serviceUp, type Capacity, type HostRow } from '../../models/host.js';
import type { PlacementRules } from './placement-rules.js';

export { freeOf, serviceUp };

/** One boot's needs, as the filters read them. */
export interface Needs {
  readonly vcpus: number;
  readonly memory_mb: number;
  readonly disk_gb: number;
  readonly availability_zone: string | null;
  readonly tried: readonly string[];
  readonly destination?: { readonly host: string; readonly force: boolean };
}

/**
 * The scheduler's picture of the hosts: the table, re-read at most every `maxAgeMs`, less what
 * this scheduler placed since (Nova's HostState consumption), so a burst of boots spreads
 * instead of piling onto the host that looked emptiest at the last read. The host's own claim
 * stays the authority: a stale picture costs a reschedule, never an overcommit.
 */
export class HostView {
  private rows: HostRow[] = [];
  private loadedAt = -Infinity;
  private readonly placed = new Map<string, Capacity>();

  constructor(
    private readonly load: () => Promise<HostRow[]>,
    private readonly maxAgeMs: number,
    // Its last report may still be fresh, but no node drives it any more: os-services already shows it down.
    private readonly gone: (host: string) => boolean = () => false,
  ) {}

  async pick(needs: Needs, now: number, serviceDownMs: number, rules?: PlacementRules): Promise<string | undefined> {
    if (now - this.loadedAt > this.maxAgeMs) {
      this.rows = await this.load();
      this.loadedAt = now;
      this.placed.clear();
    }
    let best: { name: string; score: [number, number] } | undefined;
    const wanted = needs.destination;
    for (const h of this.rows) {
      if (needs.tried.includes(h.name) || (wanted && h.name !== wanted.host)) continue;
      if (!wanted?.force) {
        if (!serviceUp(h, now, serviceDownMs) || this.gone(h.name)) continue;
        if (needs.availability_zone && (rules ? rules.zoneOf(h) : h.availability_zone) !== needs.availability_zone) continue;
        if (rules && !rules.accepts(h)) continue;
      }
      const free = this.free(h);
      if (!fits(free, needs)) continue;
      // Without rules, the RAMWeigher with a positive multiplier: spread onto the host with the most free RAM.
      const score = rules ? rules.score(h, free.memory_mb) : ([0, free.memory_mb] as [number, number]);
      if (!best || score[0] > best.score[0] || (score[0] === best.score[0] && score[1] > best.score[1])) best = { name: h.name, score };
    }
    if (best) {
      this.consume(best.name, needs);
      rules?.chosen(best.name);
    }
    return best?.name;
  }

  /** Forget the picture, e.g. after a host refused a claim it looked able to take. */
  invalidate(): void {
    this.loadedAt = -Infinity;
  }

  private free(h: HostRow): Capacity {
    const f = freeOf(h);
    const p = this.placed.get(h.name);
    return p ? { vcpus: f.vcpus - p.vcpus, memory_mb: f.memory_mb - p.memory_mb, disk_gb: f.disk_gb - p.disk_gb } : f;
  }

  private consume(name: string, n: Capacity): void {
    const p = this.placed.get(name) ?? { vcpus: 0, memory_mb: 0, disk_gb: 0 };
    this.placed.set(name, { vcpus: p.vcpus + n.vcpus, memory_mb: p.memory_mb + n.memory_mb, disk_gb: p.disk_gb + n.disk_gb });
  }
}
