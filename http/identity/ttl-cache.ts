import type { Clock } from '../../runtime/clock.js';

/**
 * A small cache for identity reads. Entries live at most `ttlMs` (so changes made on another
 * node show within that time) and are dropped at once when this node writes (`generation`).
 */
export class TtlCache<T> {
  private readonly entries = new Map<string, { value: T; at: number; generation: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly generation: () => number,
    private readonly ttlMs = 1_000,
    private readonly max = 10_000,
  ) {}

  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.generation === this.generation() && this.clock.now() - entry.at < this.ttlMs) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: T): T {
    if (this.entries.size >= this.max) this.entries.clear();
    this.entries.set(key, { value, at: this.clock.now(), generation: this.generation() });
    return value;
  }

  async through(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.get(key);
    return hit !== undefined ? hit : this.set(key, await load());
  }
}
