import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { charsBroken, isChars } from './chars.js';
import { ActorError } from './errors.js';

export interface MessageSpec<S extends TSchema = TSchema> {
  readonly payload: S;
  /** Durable messages go through the outbox and inbox; transient ones (reads, pings) do not. */
  readonly durable: boolean;
  /**
   * A transient message whose handler may change state: committed like a durable one, but with no
   * outbox or inbox row, so it is never redelivered after a restart (a heartbeat: a lost one is
   * replaced by the next, and an old one delivered late must not count).
   */
  readonly writes?: boolean;
}

export type ProtocolSpec = Record<string, MessageSpec>;

export type PayloadOf<P extends ProtocolSpec, T extends keyof P> = Static<P[T]['payload']>;

/** A kind's message types with validators compiled once, so checking is cheap on the hot path. */
export class Protocol<P extends ProtocolSpec = ProtocolSpec> {
  private readonly checks = new Map<string, { check: TypeCheck<TSchema>; durable: boolean; writes: boolean }>();

  constructor(
    readonly kind: string,
    readonly spec: P,
  ) {
    for (const [type, message] of Object.entries(spec)) {
      this.checks.set(type, {
        check: TypeCompiler.Compile(message.payload),
        durable: message.durable,
        writes: message.durable || message.writes === true,
      });
    }
  }

  get types(): string[] {
    return [...this.checks.keys()];
  }

  has(type: string): boolean {
    return this.checks.has(type);
  }

  isDurable(type: string): boolean {
    return this.checks.get(type)?.durable ?? false;
  }

  /** Whether its handler may change state: durable messages and transient ones marked `writes`. */
  writes(type: string): boolean {
    return this.checks.get(type)?.writes ?? false;
  }

  /** The error to send back for a malformed message, or undefined when it is well formed. */
  validate(type: string, payload: unknown): ActorError | undefined {
    const entry = this.checks.get(type);
    if (!entry) return new ActorError('invalid_message', `${this.kind} has no message type '${type}'`);
    if (entry.check.Check(payload)) return undefined;
    const first = entry.check.Errors(payload).First();
    const where = first?.path || '/';
    const broken = first && isChars(first.schema) && typeof first.value === 'string' ? charsBroken(first.schema, first.value) : undefined;
    const message = broken ? `breaks its ${broken} (lengths in code points)` : first?.message;
    return new ActorError('invalid_message', `${this.kind}.${type}: payload ${where} ${message ?? 'is invalid'}`);
  }
}

export const defineProtocol = <P extends ProtocolSpec>(kind: string, spec: P): Protocol<P> => new Protocol(kind, spec);
