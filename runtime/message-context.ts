import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Envelope } from './envelope.js';
import type { HandlerContext, RecordWrite, SendLater } from './kind.js';
import type { ActorRef } from './ref.js';
import { ActorError } from './errors.js';

/** What a handler's context needs from its node. */
export interface ContextHost {
  readonly clock: Clock;
  readonly logger: Logger;
  envelope(to: ActorRef, type: string, payload: unknown, from?: ActorRef, correlationId?: string): Envelope;
  ask<R>(to: ActorRef, type: string, payload: unknown, options?: { correlationId?: string; timeoutMs?: number }): Promise<R>;
}

/** What a handler sees; one per message, its log created only if used. */
export class MessageContext implements HandlerContext {
  readonly sends: Envelope[] = [];
  readonly records: RecordWrite[] = [];
  readonly now: number;
  private logger: Logger | undefined;

  constructor(
    readonly self: ActorRef,
    private readonly envelope: Envelope,
    private readonly host: ContextHost,
    private readonly recordModels: readonly string[] = [],
  ) {
    this.now = host.clock.now();
  }

  get correlationId(): string | undefined {
    return this.envelope.correlationId;
  }

  get log(): Logger {
    return (this.logger ??= this.host.logger.child({
      actor: `${this.self.kind}/${this.self.id}`,
      correlationId: this.envelope.correlationId,
    }));
  }

  ask<R>(to: ActorRef, type: string, payload: unknown, timeoutMs?: number): Promise<R> {
    if (this.host.envelope(to, type, payload).durable) {
      return Promise.reject(new ActorError('invalid_message', `${to.kind}.${type} is durable: a handler may only ask transient questions`));
    }
    return this.host.ask<R>(to, type, payload, { correlationId: this.envelope.correlationId, timeoutMs });
  }

  send(to: ActorRef, type: string, payload: unknown, options?: SendLater): void {
    const envelope = this.host.envelope(to, type, payload, this.self, this.envelope.correlationId);
    const delayMs = options?.delayMs ?? 0;
    this.sends.push(delayMs > 0 ? { ...envelope, delayMs } : envelope);
  }

  record(model: string, row: Readonly<Record<string, unknown>>): void {
    // A model the kind did not declare is a programming error: it crashes the handler rather than the commit.
    if (!this.recordModels.includes(model)) throw new Error(`${this.self.kind} records no '${model}' rows (KindDefinition.records)`);
    this.records.push({ model, row });
  }
}
