import type { HostRow } from '../../models/host.js';

/** One boot's needs, as the filters read them. */
export interface Needs {
  readonly vcpus: number;
  readonly memory_mb: number;
  readonly disk_gb: number;
  readonly availability_zone: string | null;
  readonly tried: readonly string[];
}

export interface HostFree { readonly vcpus: number; readonly memory_mb: number; readonly disk_gb: number }

/** Free capacity under the host's allocation ratios, as Nova's resource filters compute it. */
export const freeOf = (h: HostRow): HostFree => ({
  vcpus: h.vcpus * h.cpu_allocation_ratio - h.vcpus_used,
  memory_mb: h.memory_mb * h.ram_allocation_ratio - h.memory_mb_used,
  disk_gb: h.local_gb * h.disk_allocation_ratio - h.local_gb_used,
});

export const fits = (free: HostFree, n: Pick<Needs, 'vcpus' | 'memory_mb' | 'disk_gb'>) =>
  free.vcpus >= n.vcpus && free.memory_mb >= n.memory_mb && free.disk_gb >= n.disk_gb;

/** Nova's ComputeFilter: the service is enabled, not forced down, and reported within service_down_time. */
export const serviceUp = (h: HostRow, now: number, serviceDownMs: number) =>
  h.status === 'up' && !h.service_disabled && !h.forced_down
  && h.last_seen_at !== null && now - new Date(h.last_seen_at).getTime() <= serviceDownMs;

/**
 * The scheduler's picture of the hosts: the table, re-read at most every `maxAgeMs`, less what
 * this scheduler placed since (Nova's HostState consumption), so a burst of boots spreads
 * instead of piling onto the host that looked emptiest at the last read. The host's own claim
 * stays the authority: a stale picture costs a reschedule, never an overcommit.
 */
export class HostView {
  private rows: HostRow[] = [];
  private loadedAt = -Infinity;
  private readonly placed = new Map<string, HostFree>();

  constructor(private readonly load: () => Promise<HostRow[]>, private readonly maxAgeMs: number) {}

  async pick(needs: Needs, now: number, serviceDownMs: number): Promise<string | undefined> {
    if (now - this.loadedAt > this.maxAgeMs) {
      this.rows = await this.load();
      this.loadedAt = now;
      this.placed.clear();
    }
    let best: { name: string; freeRam: number } | undefined;
    for (const h of this.rows) {
      if (needs.tried.includes(h.name) || !serviceUp(h, now, serviceDownMs)) continue;
      if (needs.availability_zone && h.availability_zone !== needs.availability_zone) continue;
      const free = this.free(h);
      if (!fits(free, needs)) continue;
      // RAMWeigher with a positive multiplier: spread onto the host with the most free RAM.
      if (!best || free.memory_mb > best.freeRam) best = { name: h.name, freeRam: free.memory_mb };
    }
    if (best) this.consume(best.name, needs);
    return best?.name;
  }

  /** Forget the picture, e.g. after a host refused a claim it looked able to take. */
  invalidate(): void { this.loadedAt = -Infinity; }

  private free(h: HostRow): HostFree {
    const f = freeOf(h);
    const p = this.placed.get(h.name);
    return p ? { vcpus: f.vcpus - p.vcpus, memory_mb: f.memory_mb - p.memory_mb, disk_gb: f.disk_gb - p.disk_gb } : f;
  }

  private consume(name: string, n: HostFree): void {
    const p = this.placed.get(name) ?? { vcpus: 0, memory_mb: 0, disk_gb: 0 };
    this.placed.set(name, { vcpus: p.vcpus + n.vcpus, memory_mb: p.memory_mb + n.memory_mb, disk_gb: p.disk_gb + n.disk_gb });
  }
}
