import { Op } from 'sequelize';
import type { Models, OperatorAuditRow } from '../../models/index.js';
import { readRows } from '../../models/typed.js';

// The operator's actions, audited where they are asked (never again on the node a request is passed to): who,
// what, when and the result, kept for `inspector.auditRetentionMs`.

export interface AuditEntry {
  readonly id: number;
  readonly at: string;
  readonly user_id: string;
  readonly user_name: string | null;
  readonly action: string;
  readonly target: string;
  readonly result: string;
  readonly detail: string | null;
}

const view = (r: OperatorAuditRow): AuditEntry => ({
  id: r.id,
  at: new Date(Number(r.at)).toISOString(),
  user_id: r.user_id,
  user_name: r.user_name,
  action: r.action,
  target: r.target,
  result: r.result,
  detail: r.detail,
});

export class OperatorAudit {
  constructor(
    private readonly models: Models,
    private readonly now: () => number,
  ) {}

  async record(entry: { userId: string; action: string; target: string; result: string; detail?: string }): Promise<void> {
    const user = await this.models.User.findByPk(entry.userId, { attributes: ['name'] });
    await this.models.OperatorAudit.create({
      at: this.now(),
      user_id: entry.userId,
      user_name: (user?.get('name') as string | undefined) ?? null,
      action: entry.action,
      target: entry.target.slice(0, 512),
      result: entry.result,
      detail: entry.detail?.slice(0, 2_000) ?? null,
    } as OperatorAuditRow);
  }

  /** Newest first; `before` pages back by id. */
  async list(query: { limit: number; action?: string; before?: number }): Promise<AuditEntry[]> {
    const rows = await readRows(this.models.OperatorAudit, {
      where: {
        ...(query.action ? { action: query.action } : {}),
        ...(query.before !== undefined ? { id: { [Op.lt]: query.before } } : {}),
      },
      order: [['id', 'DESC']],
      limit: query.limit,
    });
    return rows.map(view);
  }

  /** Forgets what is older than the retention; answers how many rows went. */
  prune(retentionMs: number): Promise<number> {
    return this.models.OperatorAudit.destroy({ where: { at: { [Op.lt]: this.now() - retentionMs } } });
  }
}
