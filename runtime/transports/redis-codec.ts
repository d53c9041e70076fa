import type { Envelope, Reply } from '../envelope.js';
import type { ActorRef } from '../ref.js';

// A stream entry carries a batch: what one sender wrote to one node in one flush, in order, as one field
// `m` holding a JSON array of `["e", envelope]` and `["r", reply]`. Whatever another process wrote is checked
// here, at the boundary: a malformed entry or item is refused by name instead of crashing a handler.

export const FIELD = 'm';

export type Item = { readonly envelope: Envelope } | { readonly reply: Reply };

/** One item, encoded; throws (JSON.stringify's TypeError) on a payload that is not JSON-safe: a BigInt, a cycle. */
export const encodeEnvelope = (envelope: Envelope): string => `["e",${JSON.stringify(envelope)}]`;

export const encodeReply = (reply: Reply): string => `["r",${JSON.stringify(reply)}]`;

/** An entry's value from its encoded items. */
export const encodeBatch = (items: readonly string[]): string => `[${items.join(',')}]`;

export interface DecodedEntry {
  readonly items: Item[];
  /** Why each refused item (or the whole entry) was refused. */
  readonly malformed: string[];
}

export function decodeEntry(fields: unknown): DecodedEntry {
  if (!Array.isArray(fields) || fields.length !== 2 || fields[0] !== FIELD) return refused('not one field m');
  const value: unknown = fields[1];
  if (typeof value !== 'string') return refused('the value is not text');
  let body: unknown;
  try {
    body = JSON.parse(value);
  } catch {
    return refused('the value is not JSON');
  }
  if (!Array.isArray(body)) return refused('the value is not an array');
  const items: Item[] = [];
  const malformed: string[] = [];
  for (const raw of body) {
    const item = toItem(raw);
    if (typeof item === 'string') malformed.push(item);
    else items.push(item);
  }
  return { items, malformed };
}

const refused = (why: string): DecodedEntry => ({ items: [], malformed: [why] });

function toItem(raw: unknown): Item | string {
  if (!Array.isArray(raw) || raw.length !== 2 || !isObject(raw[1])) return 'an item is not [kind, object]';
  if (raw[0] === 'e') {
    const envelope = toEnvelope(raw[1]);
    return typeof envelope === 'string' ? envelope : { envelope };
  }
  if (raw[0] === 'r') {
    const reply = toReply(raw[1]);
    return typeof reply === 'string' ? reply : { reply };
  }
  return `unknown item kind '${String(raw[0]).slice(0, 40)}'`;
}

function toEnvelope(b: Record<string, unknown>): Envelope | string {
  const id = b.id;
  if (!(typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)))) return 'envelope id is neither text nor a number';
  if (!isRef(b.to)) return 'envelope target is not an actor reference';
  if (typeof b.type !== 'string' || b.type === '') return 'envelope type is not text';
  if (typeof b.durable !== 'boolean') return 'envelope durable is not a boolean';
  if (b.from !== undefined && !isRef(b.from)) return 'envelope sender is not an actor reference';
  const replyTo = b.replyTo;
  if (replyTo !== undefined && !(isObject(replyTo) && typeof replyTo.node === 'string' && typeof replyTo.requestId === 'string')) {
    return 'envelope replyTo is not a reply address';
  }
  if (b.correlationId !== undefined && typeof b.correlationId !== 'string') return 'envelope correlationId is not text';
  if (b.redelivered !== undefined && typeof b.redelivered !== 'boolean') return 'envelope redelivered is not a boolean';
  const hops = b.hops;
  if (hops !== undefined && !(typeof hops === 'number' && Number.isInteger(hops) && hops >= 0)) return 'envelope hops is not a count';
  // Only the known fields go on: nothing a writer adds reaches a handler unchecked.
  return {
    id,
    to: { kind: b.to.kind, id: b.to.id },
    type: b.type,
    payload: b.payload,
    durable: b.durable,
    ...(b.from ? { from: { kind: b.from.kind, id: b.from.id } } : {}),
    ...(replyTo ? { replyTo: { node: replyTo.node as string, requestId: replyTo.requestId as string } } : {}),
    ...(b.correlationId !== undefined ? { correlationId: b.correlationId } : {}),
    ...(b.redelivered ? { redelivered: true } : {}),
    // Carried across, so a message passed between nodes that disagree about its owner stops at the bound.
    ...(typeof hops === 'number' && hops > 0 ? { hops } : {}),
  };
}

function toReply(b: Record<string, unknown>): Reply | string {
  if (typeof b.requestId !== 'string') return 'reply requestId is not text';
  if (b.ok === true) return { requestId: b.requestId, ok: true, value: b.value };
  if (b.ok !== false) return 'reply ok is not a boolean';
  const error = b.error;
  if (!(isObject(error) && typeof error.code === 'string' && typeof error.message === 'string')) return 'reply error is not an error body';
  const body = { code: error.code, message: error.message, ...(error.details !== undefined ? { details: error.details } : {}) };
  return { requestId: b.requestId, ok: false, error: body };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const isRef = (v: unknown): v is ActorRef => isObject(v) && typeof v.kind === 'string' && typeof v.id === 'string';
