import { performance } from 'node:perf_hooks';
import type { Envelope } from './envelope.js';
import { ActorError, AlreadyHandledError, BrokenChainError, OutOfOrderError, StaleEpochError, StoreUnavailableError } from './errors.js';
import type { Outcome } from './kind.js';
import type { KindRuntime } from './kind-runtime.js';
import type { ActorRef } from './ref.js';
import type { ActivationInfo, ActivationStatus, ChangeKind, CrashInfo, RecentMessage } from './registry.js';
import type { ActorStore, StoredReply } from './store.js';
import { backoffDelay, decide } from './supervision.js';
import { MessageContext, type ContextHost } from './message-context.js';

const isRejection = (error: unknown): error is ActorError => error instanceof ActorError && error.code === 'rejected';

/** What an activation needs from the node that hosts it. */
export interface ActivationHost extends ContextHost {
  readonly nodeId: string;
  readonly store: ActorStore;
  readonly recentMessages: number;
  deliver(envelopes: readonly Envelope[]): void;
  /** Puts a signal in the activation's own mailbox, behind what is already there. */
  signal(activation: Activation, signal: Envelope): void;
  reply(envelope: Envelope, reply: StoredReply): void;
  /** A durable message was handled and committed (or found handled, or dead-lettered): its transport may forget it. */
  acknowledge(envelope: Envelope): void;
  changed(event: ChangeKind, ref: ActorRef, reason?: string): void;
  retired(activation: Activation): void;
  /**
   * In a cluster, passes a message this superseded activation cannot handle to the node that owns its actor now
   * (its sender then hears from there, not after the outbox's redelivery time); false if no other node owns it.
   */
  handOver(envelope: Envelope): boolean;
  /** In a cluster, whether this node owns the actor now (a stale activation here may then load again). */
  ownsNow(ref: ActorRef): boolean;
}

type MessageOutcome = RecentMessage['outcome'];

/** Sent by an activation to itself when a pipelined commit failed: reload, then handle again what was not committed. */
const REPLAY: Envelope = Object.freeze({ id: 0, to: { kind: '$', id: '$' }, type: '$replay', payload: null, durable: false });
/** Sent by a cluster node to a new activation first: handle what the outbox holds for the actor before anything newer. */
const CATCH_UP: Envelope = Object.freeze({ id: 0, to: { kind: '$', id: '$' }, type: '$catch-up', payload: null, durable: false });
/** Waits between tries while the store is away are the policy's backoff, but never shorter than this (a base of 0 would spin). */
const STORE_RETRY_MIN_MS = 100;

/**
 * One live actor: its state, epoch and counters. nact queues its messages and runs
 * `process` one at a time; crashes are handled here, inside the message, so a restart
 * with backoff keeps the crashed message at the head of the mailbox.
 */
export class Activation {
  status: ActivationStatus = 'loading';
  state: object | null = null;
  epoch = 0;
  depth = 0;
  handled = 0;
  restarts = 0;
  /** A handler is running (or its commit is awaited). */
  handling = false;
  /** Set by an operator's stop: the activation goes once its mailbox is empty. */
  retiring = false;
  lastActive: number;
  lastCrash: CrashInfo | undefined;
  failure: string | undefined;
  /** The nact actor that queues this activation's messages. */
  mailbox: unknown;
  private loaded = false;
  private window: number[] | undefined;
  private recent: RecentMessage[] | undefined;
  private recentNext = 0;
  // Pipelining (kinds that set `pipelined`): commits in flight, the last of them, and the messages
  // handled in memory whose commits have not landed, in handling order, replayed if one fails.
  private inflight = 0;
  private lastCommit: Promise<void> | undefined;
  private uncommitted: Envelope[] | undefined;
  private recovering = false;
  /** Handling the uncommitted messages again: each commit is awaited, not pipelined. */
  private replaying = false;
  /** Ids handled by the catch-up: a copy arriving later is checked against the inbox like a redelivery. */
  private caughtUp: Set<string> | undefined;

  constructor(
    readonly ref: ActorRef,
    readonly kind: KindRuntime,
    private readonly host: ActivationHost,
  ) {
    this.lastActive = host.clock.now();
  }

  /** Handling a message, or commits of its handled messages not yet landed. */
  get busy(): boolean {
    return this.handling || this.inflight > 0 || this.recovering;
  }

  /**
   * Handles one message. Transient messages to a ready actor take a synchronous fast path
   * when their handler is synchronous; everything else goes through the crash-handling loop.
   */
  process(envelope: Envelope): Promise<void> | void {
    this.depth--;
    return this.take(envelope);
  }

  private take(envelope: Envelope): Promise<void> | void {
    if (envelope === REPLAY) return this.replay();
    if (envelope === CATCH_UP) return this.runCatchUp();
    // After a failed pipelined commit, everything waits for the replay, in order.
    if (this.recovering) {
      this.uncommitted!.push(envelope);
      return;
    }
    // A read sees only committed state: it waits for the commits in flight.
    if (this.inflight > 0 && !envelope.durable) return this.settledCommits().then(() => this.take(envelope));
    this.handling = true;
    const started = performance.now();
    if (!envelope.durable && this.loaded && this.status === 'ready' && !this.writes(envelope)) {
      try {
        const outcome = this.runTransient(envelope);
        if (typeof outcome === 'string') return this.finish(envelope, outcome, started);
        return outcome.then(
          (o) => this.finish(envelope, o, started),
          (error) => this.handle(envelope, error).then((o) => this.finish(envelope, o, started)),
        );
      } catch (error) {
        return this.handle(envelope, error).then((o) => this.finish(envelope, o, started));
      }
    }
    return this.handle(envelope).then((o) => this.finish(envelope, o, started));
  }

  private finish(envelope: Envelope, outcome: MessageOutcome, started: number): void {
    const ms = performance.now() - started;
    this.kind.stats.observe(ms / 1000);
    this.remember(envelope, outcome, ms);
    this.handling = false;
    this.lastActive = this.host.clock.now();
    this.retireIfDone();
  }

  private retireIfDone(): void {
    if ((this.status === 'stale' || this.retiring) && this.depth === 0 && !this.busy) this.host.retired(this);
  }

  /** The supervised loop: load, handle, and on a crash restart with backoff and retry. */
  private async handle(received: Envelope, ...crash: [unknown?]): Promise<MessageOutcome> {
    let envelope = received;
    let attempts = 0;
    let outages = 0;
    let crashed = crash.length > 0;
    let error = crash[0];
    let reclaimed = false;
    for (;;) {
      if (crashed && error instanceof StaleEpochError && !reclaimed && this.host.ownsNow(this.ref)) {
        // Superseded by an activation on another node that has since handed the actor back to this one (views
        // disagreed for a moment): loaded again under a new epoch, once, the inbox asked before it is handled again.
        reclaimed = true;
        await this.settledCommits();
        this.loaded = false;
        if (envelope.durable) envelope = { ...envelope, redelivered: true };
      } else if (crashed && error instanceof AlreadyHandledError && !envelope.redelivered) {
        // Handled first by another delivery: its stored reply is the answer. The refusal broke this epoch's chain
        // of commits, so the state is loaded again under a new one.
        await this.settledCommits();
        this.loaded = false;
        envelope = { ...envelope, redelivered: true };
      } else if (crashed && error instanceof OutOfOrderError) {
        // An earlier message to this actor took a detour (lost on the way, parked, passed between nodes) while this
        // one came straight: the earlier ones are handled first, from the outbox, then this one again. The refusal
        // broke this epoch's chain of commits, so the state is loaded again under a new one.
        await this.settledCommits();
        this.loaded = false;
        await this.handleEarlier(envelope);
        envelope = { ...envelope, redelivered: true };
      } else if (crashed && error instanceof StoreUnavailableError) {
        await this.waitForStore(error, ++outages);
        // Its commit may have landed before the connection broke: the inbox is asked before it is handled again.
        if (envelope.durable) envelope = { ...envelope, redelivered: true };
      } else if (crashed) {
        const done = await this.afterCrash(envelope, error, ++attempts);
        if (done) return done;
      }
      // A pipelined commit failed while this message was being retried: it waits for the replay too.
      if (this.recovering) {
        this.uncommitted!.push(envelope);
        return 'deferred';
      }
      try {
        if (!this.loaded) await this.load();
        // Handed over (the view changed, or a newer activation superseded this one): what is still queued goes to the new owner.
        if ((this.retiring || this.status === 'stale') && this.host.handOver(envelope)) return 'handed-over';
        if (this.status === 'failed' || this.status === 'stale') return await this.refuse(envelope);
        return await (this.writes(envelope) ? this.apply(envelope) : this.runTransient(envelope));
      } catch (e) {
        crashed = true;
        error = e;
      }
    }
  }

  /** Returns the message's outcome when it is settled, or undefined to retry it after the restart. */
  private async afterCrash(envelope: Envelope, error: unknown, attempts: number): Promise<MessageOutcome | undefined> {
    if (error instanceof StaleEpochError) {
      this.status = 'stale';
      this.host.changed('stopped', this.ref, error.message);
      if (this.host.handOver(envelope)) return 'handed-over';
      this.host.reply(envelope, { ok: false, error: error.toBody() });
      return 'refused';
    }
    const decision = this.crashed(envelope, error as Error, attempts);
    if (decision === 'fail') {
      await this.fail(error as Error);
      return this.refuse(envelope);
    }
    if (decision === 'dead-letter') await this.deadLetter(envelope, error as Error, attempts);
    await this.restart();
    return decision === 'dead-letter' ? 'dead-letter' : undefined;
  }

  /**
   * The store is away (the database restarting, say): not a crash of the handler, so neither the restart intensity
   * nor the message's attempts count it, and the message is tried again until the store is back, on reloaded state.
   */
  private async waitForStore(error: StoreUnavailableError, outages: number): Promise<void> {
    this.status = 'restarting';
    if (outages === 1)
      this.host.logger.warn({ actor: `${this.ref.kind}/${this.ref.id}`, err: error }, 'store unavailable; retrying until it is back');
    await this.settledCommits();
    await this.host.clock.sleep(Math.max(STORE_RETRY_MIN_MS, backoffDelay(this.kind.policy, outages)));
    this.loaded = false;
  }

  private async load(): Promise<void> {
    const activated = await this.host.store.activate(this.ref, this.host.nodeId);
    this.epoch = activated.epoch;
    this.state = activated.state;
    this.loaded = true;
    this.failure = activated.failure;
    this.status = activated.failure === undefined ? 'ready' : 'failed';
  }

  private async apply(envelope: Envelope): Promise<MessageOutcome> {
    const { definition, stats } = this.kind;
    const caughtUp = this.caughtUp?.has(String(envelope.id)) ?? false;
    if (envelope.redelivered || caughtUp) {
      // The catch-up may have handled this very message with its commit still in flight (pipelined kinds):
      // its inbox row is there once the commits made so far have landed.
      if (caughtUp) await this.settledCommits();
      const stored = await this.host.store.lookupInbox(String(envelope.id));
      if (stored) {
        await this.host.store.acknowledge(String(envelope.id));
        this.host.acknowledge(envelope);
        this.host.reply(envelope, stored);
        return 'duplicate';
      }
    }
    const invalid = definition.protocol.validate(envelope.type, envelope.payload);
    if (invalid) {
      stats.invalid++;
      await this.answer(envelope, { ok: false, error: invalid.toBody() });
      return 'invalid';
    }
    const context = new MessageContext(this.ref, envelope, this.host, definition.records);
    let result: Outcome<object>;
    try {
      result = (await definition.behaviour[envelope.type](this.state, envelope.payload, context)) as Outcome<object>;
    } catch (error) {
      if (!isRejection(error)) throw error;
      stats.rejected++;
      await this.answer(envelope, { ok: false, error: error.toBody() });
      return 'rejected';
    }
    const reply: StoredReply = { ok: true, value: result.reply };
    const committed = this.host.store.commit({
      ref: this.ref,
      epoch: this.epoch,
      state: result.state,
      // A transient write leaves no inbox row: nothing redelivers it.
      ...(envelope.durable ? { handled: { id: String(envelope.id), reply } } : {}),
      sends: context.sends.filter((e) => e.durable),
      ...(context.records.length ? { records: context.records } : {}),
    });
    const done = () => {
      if (envelope.durable) this.host.acknowledge(envelope);
      if (context.sends.length) this.host.deliver(context.sends);
      this.host.reply(envelope, reply);
    };
    stats.durable++;
    if (definition.pipelined && !this.replaying) {
      // The next message is handled on this state at once; what this one sends and answers waits for its commit.
      this.pipeline(envelope, committed, done);
    } else {
      await committed;
      done();
    }
    if (result.state !== undefined) this.state = result.state;
    this.handled++;
    return 'ok';
  }

  private pipeline(envelope: Envelope, committed: Promise<void>, done: () => void): void {
    (this.uncommitted ??= []).push(envelope);
    this.inflight++;
    this.lastCommit = committed
      .then(
        () => {
          this.uncommitted!.shift();
          done();
        },
        (error) => {
          if (error instanceof StaleEpochError && !this.host.ownsNow(this.ref)) {
            // Superseded: this and every later commit are refused; each goes to the actor's new owner, or its sender hears so.
            this.uncommitted!.shift();
            this.status = 'stale';
            if (!this.host.handOver(envelope)) this.host.reply(envelope, { ok: false, error: error.toBody() });
          } else if (!this.recovering && !(error instanceof BrokenChainError)) {
            // What was handled but not committed is handled again, in order, on the state reloaded.
            this.recovering = true;
            this.host.logger.warn(
              { actor: `${this.ref.kind}/${this.ref.id}`, err: error, pending: this.uncommitted!.length },
              'pipelined commit failed; replaying',
            );
            this.host.signal(this, REPLAY);
          }
        },
      )
      .finally(() => {
        this.inflight--;
        this.retireIfDone();
      });
  }

  /** Resolves once every commit made so far has landed or failed. */
  private async settledCommits(): Promise<void> {
    while (this.inflight > 0) await this.lastCommit;
  }

  /** After a failed pipelined commit: reload once the rest have settled, then handle the uncommitted messages again. */
  private async replay(): Promise<void> {
    await this.settledCommits();
    const again = this.uncommitted!.splice(0);
    this.recovering = false;
    this.loaded = false;
    this.replaying = true;
    try {
      for (const envelope of again) {
        const started = performance.now();
        this.handling = true;
        this.finish(envelope, await this.handle(envelope.durable ? { ...envelope, redelivered: true } : envelope), started);
      }
    } finally {
      this.replaying = false;
    }
  }

  /**
   * In a cluster, an actor taking over from a node that died first handles, in send order, the durable
   * messages the outbox still holds for it, so a sender's later message never overtakes an earlier one.
   */
  catchUp(): void {
    this.host.signal(this, CATCH_UP);
  }

  private async runCatchUp(): Promise<void> {
    let pending: Envelope[];
    try {
      pending = await this.host.store.outboxFor(this.ref);
    } catch (error) {
      // The redelivery sweep delivers them later instead.
      this.logError(error);
      return;
    }
    if (pending.length === 0) return;
    const caughtUp = (this.caughtUp ??= new Set());
    for (const e of pending) caughtUp.add(String(e.id));
    const now = this.host.clock.now();
    // A delayed message not due yet is delivered at its due time (a copy waiting on this node already is not doubled).
    const later = pending.filter((e) => e.dueAt !== undefined && e.dueAt > now);
    if (later.length) this.host.deliver(later);
    for (const envelope of pending) {
      if (later.includes(envelope)) continue;
      const started = performance.now();
      this.handling = true;
      this.finish(envelope, await this.handle(envelope), started);
    }
  }

  /** Handles, in send order, the due messages the outbox holds for this actor from before `envelope`. */
  private async handleEarlier(envelope: Envelope): Promise<void> {
    let pending: Envelope[];
    try {
      pending = await this.host.store.outboxFor(this.ref);
    } catch (error) {
      // The store is away: the commit is tried again after a pause and refused again until these can be read.
      this.logError(error);
      await this.host.clock.sleep(STORE_RETRY_MIN_MS);
      return;
    }
    const at = pending.findIndex((e) => e.id === String(envelope.id));
    const now = this.host.clock.now();
    const earlier = pending.slice(0, Math.max(0, at)).filter((e) => e.dueAt === undefined || e.dueAt <= now);
    this.host.logger.debug({ actor: `${this.ref.kind}/${this.ref.id}`, earlier: earlier.length }, 'earlier messages handled first');
    // Their copies still on the way are checked against the inbox when they arrive.
    const caughtUp = (this.caughtUp ??= new Set());
    for (const e of earlier) {
      caughtUp.add(String(e.id));
      const started = performance.now();
      this.remember(e, await this.handle(e), performance.now() - started);
    }
  }

  /** Durable messages and transient writes are committed; other transient messages only read. */
  private writes(envelope: Envelope): boolean {
    return envelope.durable || this.kind.definition.protocol.writes(envelope.type);
  }

  /** A transient message: no commit. Synchronous when its handler is; throws (or rejects) on a crash. */
  private runTransient(envelope: Envelope): MessageOutcome | Promise<MessageOutcome> {
    const { definition, stats } = this.kind;
    const invalid = definition.protocol.validate(envelope.type, envelope.payload);
    if (invalid) {
      stats.invalid++;
      this.host.reply(envelope, { ok: false, error: invalid.toBody() });
      return 'invalid';
    }
    const context = new MessageContext(this.ref, envelope, this.host, definition.records);
    let result: Outcome<object> | Promise<Outcome<object>>;
    try {
      result = definition.behaviour[envelope.type](this.state, envelope.payload, context);
    } catch (error) {
      return this.rejected(envelope, error);
    }
    if (result instanceof Promise) {
      return result.then(
        (r) => this.completeTransient(envelope, context, r),
        (error) => this.rejected(envelope, error),
      );
    }
    return this.completeTransient(envelope, context, result);
  }

  private completeTransient(envelope: Envelope, context: MessageContext, result: Outcome<object>): MessageOutcome | Promise<MessageOutcome> {
    if (result.state !== undefined || context.records.length) {
      throw new Error(`${this.kind.definition.kind}.${envelope.type} is transient and may not change state or record rows`);
    }
    this.kind.stats.transient++;
    this.handled++;
    const reply: StoredReply = { ok: true, value: result.reply };
    if (context.sends.length === 0) {
      this.host.reply(envelope, reply);
      return 'ok';
    }
    const durable = context.sends.filter((e) => e.durable);
    const stored = durable.length ? this.host.store.enqueue(durable) : Promise.resolve();
    return stored.then(() => {
      this.host.deliver(context.sends);
      this.host.reply(envelope, reply);
      return 'ok' as const;
    });
  }

  /** A handler's refusal is answered; anything else it threw is a crash. */
  private rejected(envelope: Envelope, error: unknown): MessageOutcome {
    if (!isRejection(error)) throw error;
    this.kind.stats.rejected++;
    this.host.reply(envelope, { ok: false, error: error.toBody() });
    return 'rejected';
  }

  /** Answers without a state change; a durable message is still recorded as handled. */
  private async answer(envelope: Envelope, reply: StoredReply): Promise<void> {
    if (envelope.durable) {
      await this.host.store.commit({ ref: this.ref, epoch: this.epoch, handled: { id: String(envelope.id), reply } });
      this.host.acknowledge(envelope);
    }
    this.host.reply(envelope, reply);
  }

  /** A failed or superseded actor handles nothing: durable messages go to dead letters, senders get an error. */
  private async refuse(envelope: Envelope): Promise<MessageOutcome> {
    const error =
      this.status === 'stale'
        ? new StaleEpochError(`${this.ref.kind}/${this.ref.id}`)
        : new ActorError('actor_failed', `${this.ref.kind} ${this.ref.id} has failed and must be restarted by an operator: ${this.failure}`);
    if (envelope.durable && this.status === 'failed') {
      await this.host.store.deadLetter({ envelope, reason: error.message, attempts: 0 }).catch((e) => this.logError(e));
      this.host.acknowledge(envelope);
      this.kind.stats.deadLetters++;
    }
    this.host.reply(envelope, { ok: false, error: error.toBody() });
    return 'refused';
  }

  private crashed(envelope: Envelope, error: Error, attempts: number) {
    const now = this.host.clock.now();
    const crash: CrashInfo = {
      reason: error?.message ?? String(error),
      stack: error?.stack,
      at: now,
      messageType: envelope.type,
      messageId: String(envelope.id),
    };
    this.lastCrash = crash;
    this.kind.stats.crashes++;
    this.host.store.recordCrash({ ref: this.ref, ...crash }).catch((e) => this.logError(e));
    this.host.changed('crashed', this.ref, crash.reason);
    this.host.logger.warn({ actor: `${this.ref.kind}/${this.ref.id}`, err: error, attempts, correlationId: envelope.correlationId }, 'actor crashed');
    return decide(this.kind.policy, (this.window ??= []), now, attempts);
  }

  private async deadLetter(envelope: Envelope, error: Error, attempts: number): Promise<void> {
    const reason = error?.message ?? String(error);
    if (envelope.durable) {
      await this.host.store.deadLetter({ envelope, reason, stack: error?.stack, attempts }).catch((e) => this.logError(e));
      this.host.acknowledge(envelope);
    }
    this.kind.stats.deadLetters++;
    this.host.reply(envelope, {
      ok: false,
      error: { code: 'dead_letter', message: `message dead-lettered after ${attempts} attempts: ${reason}` },
    });
  }

  private async restart(): Promise<void> {
    this.status = 'restarting';
    await this.settledCommits();
    await this.host.clock.sleep(backoffDelay(this.kind.policy, this.window?.length ?? 1));
    this.loaded = false;
    this.restarts++;
    this.kind.stats.restarts++;
    this.host.changed('restarted', this.ref);
  }

  /** Restart intensity exceeded: the kind decides what failure means for its entity. */
  private async fail(error: Error): Promise<void> {
    await this.settledCommits();
    const reason = error?.message ?? String(error);
    this.status = 'failed';
    this.failure = reason;
    this.kind.stats.failures++;
    const state = this.kind.definition.onFailed?.(this.state, reason, this.host.clock.now()) as object | null | undefined;
    try {
      await this.host.store.commit({ ref: this.ref, epoch: this.epoch, state, failure: reason });
      if (state !== undefined) this.state = state;
    } catch (e) {
      this.logError(e);
    }
    this.host.changed('failed', this.ref, reason);
    this.host.logger.error({ actor: `${this.ref.kind}/${this.ref.id}`, reason }, 'actor failed: restart intensity exceeded');
  }

  /** Drops the in-memory state so the next message reloads it (an operator's restart). */
  reload(): void {
    this.loaded = false;
    this.window = undefined;
  }

  private remember(envelope: Envelope, outcome: MessageOutcome, ms: number): void {
    const capacity = this.host.recentMessages;
    if (capacity === 0) return;
    const entry: RecentMessage = { type: envelope.type, id: envelope.id, outcome, ms };
    const recent = this.recent;
    // Most activations see few messages: the ring grows only as it fills.
    if (!recent) this.recent = [entry];
    else if (recent.length < capacity) recent.push(entry);
    else recent[this.recentNext] = entry;
    this.recentNext = (this.recentNext + 1) % capacity;
  }

  info(): ActivationInfo {
    const recent = this.recent ?? [];
    const ordered = recent.length < this.host.recentMessages ? recent : [...recent.slice(this.recentNext), ...recent.slice(0, this.recentNext)];
    return {
      kind: this.ref.kind,
      id: this.ref.id,
      node: this.host.nodeId,
      supervisor: this.kind.supervisor,
      status: this.status,
      epoch: this.epoch,
      mailboxDepth: this.depth,
      handled: this.handled,
      restarts: this.restarts,
      ...(this.lastCrash ? { lastCrash: this.lastCrash } : {}),
      recent: ordered,
      summary: this.kind.definition.summary?.(this.state) ?? {},
    };
  }

  private logError(error: unknown): void {
    this.host.logger.error({ actor: `${this.ref.kind}/${this.ref.id}`, err: error }, 'actor bookkeeping write failed');
  }
}
