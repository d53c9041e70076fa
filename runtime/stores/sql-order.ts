import type { CommitItem } from '../store.js';
import { sqlLiteral, type Dialect } from './sql-script.js';

export interface OrderTables {
  readonly outbox: string;
  readonly inbox: string;
}

/** A commit of the batch, or a dead letter (its message counts as handled for the commits after it). */
export type OrderEntry =
  | { readonly item: CommitItem }
  | { readonly letter: { readonly envelope: { readonly id: string | number; readonly to: { readonly kind: string; readonly id: string } } } };

export interface OrderCheck {
  readonly item: CommitItem;
  readonly id: string;
  /** SQL, true when a message to the item's actor accepted before this one is due and not handled yet. */
  readonly behind: string;
}

/**
 * The order check of each commit that handles a message: nothing its sender sent to its actor earlier (a smaller
 * outbox seq) may still be pending. Other senders' messages may pass each other (two senders' sends race anyway),
 * so they cost no refusal. An earlier commit of the same actor in this batch (pipelined) or a dead letter of it
 * counts as handled; a delayed message not yet due does not count; a message whose row left the outbox before,
 * or never entered it (a commit-only request), has nothing before it.
 */
export function orderChecks(dialect: Dialect, tables: OrderTables, items: readonly OrderEntry[], now: Date): OrderCheck[] {
  const value = (v: unknown) => sqlLiteral(dialect, v);
  // Null-safe equality: messages from outside any actor (no sender recorded) are one sender.
  const same = dialect === 'postgres' ? 'IS NOT DISTINCT FROM' : 'IS';
  // Per actor, the ids handled earlier in the batch: their rows are still there while the script checks.
  const earlier = new Map<string, string[]>();
  const checks: OrderCheck[] = [];
  for (const entry of items) {
    if ('letter' in entry) {
      const { envelope } = entry.letter;
      const key = `${envelope.to.kind}/${envelope.to.id}`;
      earlier.set(key, [...(earlier.get(key) ?? []), String(envelope.id)]);
      continue;
    }
    const { item } = entry;
    if (!item.handled) continue;
    const key = `${item.ref.kind}/${item.ref.id}`;
    const before = earlier.get(key) ?? [];
    const skip = before.length ? ` AND o.id NOT IN (${before.map(value).join(', ')})` : '';
    checks.push({
      item,
      id: item.handled.id,
      behind:
        `EXISTS (SELECT 1 FROM ${tables.outbox} m JOIN ${tables.outbox} o ON o.to_kind = m.to_kind AND o.to_id = m.to_id AND o.seq < m.seq` +
        ` AND o.from_kind ${same} m.from_kind AND o.from_id ${same} m.from_id` +
        ` WHERE m.id = ${value(item.handled.id)} AND (o.deliver_at IS NULL OR o.deliver_at <= ${value(now)})${skip}` +
        ` AND NOT EXISTS (SELECT 1 FROM ${tables.inbox} i WHERE i.id = o.id))`,
    });
    earlier.set(key, [...before, item.handled.id]);
  }
  return checks;
}
