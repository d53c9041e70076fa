import { Op } from 'sequelize';
import type { Models, RevocationRow } from '../../models/index.js';
import { readRows } from '../../models/typed.js';
import type { Clock, Timer } from '../../runtime/clock.js';
import type { TokenClaims } from './token-signer.js';

export interface Revocation {
  audit?: string;
  user?: string;
  project?: string;
  issuedBefore: number;
}

/**
 * The revocations every node must honour. Written to the database and polled from it, so a
 * token revoked on one node is refused by all of them within one poll interval.
 */
export class RevocationList {
  // Each revocation by the moment before which it covers tokens: a token lives at most `ttlMs`,
  // so once that moment is older than `ttlMs` nothing it covers is still valid and it is dropped.
  private readonly audits = new Map<string, number>();
  private readonly users = new Map<string, number>();
  private readonly projects = new Map<string, number>();
  private lastSeq = 0;
  private timer: Timer | undefined;
  private stopped = false;
  private prunedAt: number;

  constructor(
    private readonly models: Models,
    private readonly clock: Clock,
    private readonly pollMs: number,
    private readonly ttlMs: number,
    private readonly pruneMs = 60_000,
  ) {
    this.prunedAt = clock.now();
  }

  /** How many revocations this node holds in memory (for tests and metrics). */
  get size(): number {
    return this.audits.size + this.users.size + this.projects.size;
  }

  async start(): Promise<void> {
    await this.poll();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
  }

  isRevoked(claims: TokenClaims): boolean {
    if (this.audits.has(claims.audit) || (claims.chain !== undefined && this.audits.has(claims.chain))) return true;
    const user = this.users.get(claims.user);
    if (user !== undefined && claims.issuedAt <= user) return true;
    const project = claims.project === undefined ? undefined : this.projects.get(claims.project);
    return project !== undefined && claims.issuedAt <= project;
  }

  /**
   * The latest revocation covering every token of this user or project. A token issued in the
   * same millisecond as a revocation is stamped after it, so it is not caught by it.
   */
  latest(user: string, project?: string): number {
    return Math.max(this.users.get(user) ?? 0, project === undefined ? 0 : (this.projects.get(project) ?? 0));
  }

  async revoke(revocation: Revocation): Promise<void> {
    const row = await this.models.Revocation.create({
      audit_id: revocation.audit ?? null,
      user_id: revocation.user ?? null,
      project_id: revocation.project ?? null,
      issued_before: new Date(revocation.issuedBefore),
      created_at: new Date(this.clock.now()),
    });
    this.apply(row.get({ plain: true }));
  }

  /** Picks up revocations made anywhere since the last poll. */
  async poll(): Promise<void> {
    const rows = await readRows(this.models.Revocation, { where: { seq: { [Op.gt]: this.lastSeq } }, order: [['seq', 'ASC']] });
    for (const row of rows) this.apply(row);
  }

  /**
   * Forgets revocations whose tokens have all expired, here and in the table (any node may
   * delete them: a row is only ever dropped once useless to every node).
   */
  async prune(): Promise<number> {
    const horizon = this.clock.now() - this.ttlMs;
    for (const map of [this.audits, this.users, this.projects]) {
      for (const [key, before] of map) if (before < horizon) map.delete(key);
    }
    this.prunedAt = this.clock.now();
    return await this.models.Revocation.destroy({ where: { issued_before: { [Op.lt]: new Date(horizon) } } });
  }

  private apply(row: RevocationRow): void {
    this.lastSeq = Math.max(this.lastSeq, Number(row.seq));
    const before = new Date(row.issued_before).getTime();
    if (before < this.clock.now() - this.ttlMs) return;
    if (row.audit_id) this.audits.set(row.audit_id, Math.max(before, this.audits.get(row.audit_id) ?? 0));
    if (row.user_id) this.users.set(row.user_id, Math.max(before, this.users.get(row.user_id) ?? 0));
    if (row.project_id) this.projects.set(row.project_id, Math.max(before, this.projects.get(row.project_id) ?? 0));
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      const pruneDue = this.clock.now() - this.prunedAt >= this.pruneMs;
      this.poll()
        .then(() => (pruneDue ? this.prune() : 0))
        .catch(() => undefined)
        .finally(() => this.schedule());
    }, this.pollMs);
  }
}
