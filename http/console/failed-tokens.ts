import type { Clock } from '../../runtime/clock.js';

// Brute force: a client presenting wrong or expired console tokens is answered 429 once it has failed `limit`
// times within a minute, before its token is even looked at. Bounded: at most `maxClients` are remembered.

const WINDOW_MS = 60_000;

export class FailedTokens {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly clock: Clock,
    private readonly limit: number,
    private readonly maxClients = 10_000,
  ) {}

  private recent(client: string): number[] {
    const since = this.clock.now() - WINDOW_MS;
    const kept = (this.failures.get(client) ?? []).filter((t) => t > since);
    if (kept.length) this.failures.set(client, kept);
    else this.failures.delete(client);
    return kept;
  }

  /** Whether the client has used up its failures for this minute. */
  blocked(client: string): boolean {
    return this.recent(client).length >= this.limit;
  }

  failed(client: string): void {
    const kept = this.recent(client);
    if (!this.failures.has(client) && this.failures.size >= this.maxClients) {
      // The oldest remembered client goes first (a Map keeps insertion order).
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    // Never more than the limit per client: one past it is enough to refuse.
    this.failures.set(client, [...kept, this.clock.now()].slice(-this.limit));
  }
}
