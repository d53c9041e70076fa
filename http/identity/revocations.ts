import { Op } from 'sequelize';
import type { Models, RevocationRow } from '../../models/index.js';
import type { Clock, Timer } from '../../runtime/clock.js';
import type { TokenClaims } from './token-signer.js';

export interface Revocation { audit?: string; user?: string; project?: string; issuedBefore: number }

/**
 * The revocations every node must honour. Written to the database and polled from it, so a
 * token revoked on one node is refused by all of them within one poll interval.
 */
export class RevocationList {
  private readonly audits = new Set<string>();
  private readonly users = new Map<string, number>();
  private readonly projects = new Map<string, number>();
  private lastSeq = 0;
  private timer: Timer | undefined;
  private stopped = false;

  constructor(private readonly models: Models, private readonly clock: Clock, private readonly pollMs: number) {}

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
    return Math.max(this.users.get(user) ?? 0, project === undefined ? 0 : this.projects.get(project) ?? 0);
  }

  async revoke(revocation: Revocation): Promise<void> {
    const row = await this.models.Revocation.create({
      audit_id: revocation.audit ?? null, user_id: revocation.user ?? null, project_id: revocation.project ?? null,
      issued_before: new Date(revocation.issuedBefore), created_at: new Date(this.clock.now()),
    });
    this.apply(row.get({ plain: true }) as RevocationRow);
  }

  /** Picks up revocations made anywhere since the last poll. */
  async poll(): Promise<void> {
    const rows = await this.models.Revocation.findAll({ where: { seq: { [Op.gt]: this.lastSeq } }, order: [['seq', 'ASC']], raw: true }) as unknown as RevocationRow[];
    for (const row of rows) this.apply(row);
  }

  private apply(row: RevocationRow): void {
    this.lastSeq = Math.max(this.lastSeq, Number(row.seq));
    const before = new Date(row.issued_before).getTime();
    if (row.audit_id) this.audits.add(row.audit_id);
    if (row.user_id) this.users.set(row.user_id, Math.max(before, this.users.get(row.user_id) ?? 0));
    if (row.project_id) this.projects.set(row.project_id, Math.max(before, this.projects.get(row.project_id) ?? 0));
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.poll().catch(() => undefined).finally(() => this.schedule());
    }, this.pollMs);
  }
}
