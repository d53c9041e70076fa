export type ActorErrorCode =
  | 'timeout' // no reply within the request timeout
  | 'invalid_message' // unknown type or payload failing the kind's schema
  | 'unknown_kind'
  | 'dead_letter' // the handler crashed on every attempt
  | 'actor_failed' // the actor exceeded its restart intensity and is stopped
  | 'stale_epoch' // a newer activation of the actor exists
  | 'stopped' // the node is shutting down
  | 'broken_chain' // an earlier commit of the same activation failed
  | 'already_handled' // the message's inbox row exists: another delivery of it was handled first
  | 'overloaded' // the transport holds as many undelivered messages as it may: retry later
  | 'unavailable' // no live node can take the message now (its owner is away, the transport is down)
  | 'rejected'; // the handler refused the request (a business error)

// A code is an ActorErrorCode, or a kind's own (a rejection's).
export interface ErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

export class ActorError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ActorError';
  }

  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static from(body: ErrorBody): ActorError {
    return new ActorError(body.code, body.message, body.details);
  }
}

/** A handler throws this to refuse a request without it counting as a crash. */
export const reject = (message: string, details?: unknown): ActorError => new ActorError('rejected', message, details);

export class StaleEpochError extends ActorError {
  constructor(what: string) {
    super('stale_epoch', `write refused: ${what} has a newer activation`);
  }
}

/** A commit refused because an earlier one of the same activation failed: applying it would skip that one. */
export class BrokenChainError extends ActorError {
  constructor(what: string) {
    super('broken_chain', `write refused: an earlier write of ${what} failed`);
  }
}

/**
 * A commit refused because its message was handled already: in a cluster one message can reach two nodes (the
 * outbox's redelivery to a new owner, and the old owner's transport entry read after it comes back), and only
 * the first handling may count. The activation answers it from the inbox instead.
 */
export class AlreadyHandledError extends ActorError {
  constructor(messageId: string) {
    super('already_handled', `write refused: message ${messageId} was handled already`);
  }
}

/**
 * A commit refused because an earlier message to the same actor is still pending: it took a detour (lost on the
 * way and left to the outbox sweep, parked until a view change, passed between nodes) while later ones came
 * straight. Applying this one first would break per-sender order; the activation handles the earlier ones
 * from the outbox first, then this one again.
 */
export class OutOfOrderError extends ActorError {
  constructor(what: string) {
    super('out_of_order', `write refused: an earlier message to ${what} is still pending`);
  }
}

/**
 * The store could not be reached: the database is down, restarting or cut off, or ended the session. Not the
 * handler's fault: the message is retried until the store is back, without counting as a crash (which would
 * fail the actor and dead-letter its messages over an outage). A commit it fails may have landed all the same.
 */
export class StoreUnavailableError extends ActorError {
  constructor(override readonly cause: unknown) {
    super('unavailable', `the store is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}
