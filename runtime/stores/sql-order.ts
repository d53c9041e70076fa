import { sqlLiteral, type Dialect } from './sql-script.js';

export interface OrderTables {
  readonly outbox: string;
}

/**
 * SQL selecting the ids (column `id`) of the messages `handled` in one batch that an earlier message from their
 * sender (the same actor, or outside any actor) to their actor must go before: one still in the outbox (a smaller
 * seq), due, and not itself handled (or dead-lettered) in this batch. Other senders' messages may pass each other
 * (two senders' sends race anyway), so they cost no refusal. A message whose row left the outbox before, or never
 * entered it (a commit-only request), has nothing before it. One statement for the whole batch, so a batch of
 * hundreds of commits is planned once. A row whose message was handled already but is still in the outbox (rare)
 * is handled first as a duplicate, which removes it.
 */
export function behindSql(dialect: Dialect, tables: OrderTables, handled: readonly string[], gone: readonly string[], now: Date): string {
  const value = (v: unknown) => sqlLiteral(dialect, v);
  // Null-safe equality: messages from outside any actor (no sender recorded) are one sender.
  const same = dialect === 'postgres' ? 'IS NOT DISTINCT FROM' : 'IS';
  const list = (ids: readonly string[]) => ids.map(value).join(', ');
  return (
    `SELECT m.id AS id FROM ${tables.outbox} m WHERE m.id IN (${list(handled)}) AND EXISTS (SELECT 1 FROM ${tables.outbox} o` +
    ` WHERE o.to_kind = m.to_kind AND o.to_id = m.to_id AND o.seq < m.seq AND o.from_kind ${same} m.from_kind AND o.from_id ${same} m.from_id` +
    ` AND (o.deliver_at IS NULL OR o.deliver_at <= ${value(now)}) AND o.id NOT IN (${list(gone)}))`
  );
}
