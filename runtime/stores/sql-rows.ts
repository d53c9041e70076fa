import type { OutboxRow } from '../../models/index.js';
import type { Envelope } from '../envelope.js';
import type { ActorRef } from '../ref.js';
import type { StoredReply } from '../store.js';

// How envelopes and replies are laid out in the runtime's tables.

export function inboxRow(id: string, ref: ActorRef, reply: StoredReply, now: Date) {
  const body = reply.ok ? reply.value : reply.error;
  return { id, kind: ref.kind, actor_id: ref.id, ok: reply.ok, reply: body === undefined ? null : JSON.stringify(body), handled_at: now };
}

export function toOutboxRow(e: Envelope, now: Date): OutboxRow {
  return {
    id: String(e.id),
    to_kind: e.to.kind,
    to_id: e.to.id,
    type: e.type,
    payload: JSON.stringify(e.payload ?? null),
    from_kind: e.from?.kind ?? null,
    from_id: e.from?.id ?? null,
    reply_node: e.replyTo?.node ?? null,
    request_id: e.replyTo?.requestId ?? null,
    correlation_id: e.correlationId ?? null,
    created_at: now,
    deliver_at: dueAt(e, now),
  };
}

/** A delayed message's due time, counted from its commit, or the one it was read back with. */
function dueAt(e: Envelope, now: Date): Date | null {
  if (e.delayMs) return new Date(now.getTime() + e.delayMs);
  return e.dueAt === undefined ? null : new Date(e.dueAt);
}

export function fromOutboxRow(row: OutboxRow): Envelope {
  return {
    id: row.id,
    to: { kind: row.to_kind, id: row.to_id },
    type: row.type,
    payload: JSON.parse(row.payload),
    durable: true,
    redelivered: true,
    ...(row.from_kind && row.from_id ? { from: { kind: row.from_kind, id: row.from_id } } : {}),
    ...(row.reply_node && row.request_id ? { replyTo: { node: row.reply_node, requestId: row.request_id } } : {}),
    ...(row.correlation_id ? { correlationId: row.correlation_id } : {}),
    ...(row.deliver_at ? { dueAt: new Date(row.deliver_at).getTime() } : {}),
  };
}
