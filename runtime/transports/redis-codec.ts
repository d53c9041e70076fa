import type { Envelope, Reply } from '../envelope.js';
import type { ActorRef } from '../ref.js';

// A stream entry holds one field: its name says what the value (JSON) is. Whatever another process wrote
// is checked here, at the boundary, so a malformed entry is refused by name instead of crashing a handler.

const ENVELOPE = 'e';
const REPLY = 'r';

export type Decoded = { readonly envelope: Envelope } | { readonly reply: Reply };

/** Throws (JSON.stringify's TypeError) on a payload that is not JSON-safe: a BigInt, a cycle. */
export const encodeEnvelope = (envelope: Envelope): [string, string] => [ENVELOPE, JSON.stringify(envelope)];

export const encodeReply = (reply: Reply): [string, string] => [REPLY, JSON.stringify(reply)];

/** The envelope or reply an entry holds, or why it is malformed. */
export function decodeEntry(fields: unknown): Decoded | string {
  if (!Array.isArray(fields) || fields.length !== 2) return 'not one field';
  const [name, value] = fields as unknown[];
  if (typeof value !== 'string') return 'the value is not text';
  let body: unknown;
  try {
    body = JSON.parse(value);
  } catch {
    return 'the value is not JSON';
  }
  if (!isObject(body)) return 'the value is not an object';
  if (name === ENVELOPE) {
    const envelope = toEnvelope(body);
    return typeof envelope === 'string' ? envelope : { envelope };
  }
  if (name === REPLY) {
    const reply = toReply(body);
    return typeof reply === 'string' ? reply : { reply };
  }
  return `unknown field '${String(name).slice(0, 40)}'`;
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
