import { randomUUID } from 'node:crypto';
import nact from 'nact';
import type { Logger } from 'pino';
import { Activation, type ActivationHost } from './activation.js';
import type { Clock, Timer } from './clock.js';
import type { Membership, MembershipHost } from './cluster/membership.js';
import type { NodeInfo } from './cluster/types.js';
import type { Envelope, Reply } from './envelope.js';
import { ActorError, type ErrorBody } from './errors.js';
import type { KindDefinition } from './kind.js';
import { KindStats, type KindRuntime } from './kind-runtime.js';
import { refKey, type ActorRef } from './ref.js';
import { ChangeStream, type ActivationInfo, type ChangeKind } from './registry.js';
import type { ActorStore, StoredReply } from './store.js';
import type { SupervisionPolicy } from './supervision.js';
import type { NodeEndpoint, Transport } from './transport.js';

export interface NodeOptions {
  readonly nodeId: string;
  readonly store: ActorStore;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly requestTimeoutMs: number;
  /** How often idle activations are looked for. */
  readonly passivationSweepMs: number;
  /** Messages remembered per activation for the inspector. */
  readonly recentMessages: number;
  /** How long handled message ids are kept for deduplication, and how often older ones are dropped. */
  readonly inboxRetentionMs?: number;
  readonly inboxPruneMs?: number;
  /** This node's membership of a cluster; without it the node is the whole system, as the all-in-one. */
  readonly cluster?: Membership;
}

/** Times an envelope may be passed on to the owner a node sees before it is refused (views differ briefly). */
const MAX_HOPS = 3;
/** Outbox rows read per page by the redelivery sweep. */
const SWEEP_PAGE = 500;
/** Durable messages kept to be routed again at the next view change; past it the outbox sweep alone brings them. */
const MAX_PARKED = 10_000;
/** A message passed on MAX_HOPS times is routed again from here after this long, at most MAX_REROUTES times. */
const REROUTE_MS = 100;
const MAX_REROUTES = 50;

export interface SendOptions {
  readonly correlationId?: string;
}
export interface AskOptions extends SendOptions {
  readonly timeoutMs?: number;
  /**
   * A durable request not written to the outbox first: it becomes durable with the handler's
   * commit, which the reply confirms. For callers that learn of a failure and retry
   * themselves (an API request answered only after the commit); it saves a transaction.
   */
  readonly commitOnly?: boolean;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: Timer;
}

type NactRef = Parameters<typeof nact.dispatch>[0];
// Passing a sender saves nact allocating a placeholder one per message; its typings omit that argument.
const dispatch = nact.dispatch as unknown as (ref: NactRef, message: unknown, sender: NactRef) => void;

const validName = /^[a-z0-9-$_.+!*'(),]+$/i;
const nactName = (id: string) => (validName.test(id) ? id : `$${Buffer.from(id).toString('base64url')}`);

/**
 * One node process's share of the actor system: it activates actors on their first
 * message, routes envelopes and replies, makes durable messages durable before `send`
 * resolves, redelivers what the outbox still holds after a restart, and passivates idle actors.
 */
export class ActorNode implements NodeEndpoint, ActivationHost, MembershipHost {
  readonly nodeId: string;
  readonly cluster: Membership | undefined;
  readonly store: ActorStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly recentMessages: number;
  readonly changes = new ChangeStream();
  private readonly kinds = new Map<string, KindRuntime & { activations: Map<string, Activation>; nact: NactRef }>();
  private readonly pending = new Map<string, Pending>();
  private readonly transport: Transport;
  private readonly system: NactRef;
  private readonly root: NactRef;
  // Request ids must not repeat across restarts, or a late reply could answer a new request.
  private readonly bootId = randomUUID().slice(0, 8);
  private sequence = 0;
  private sweeper: Timer | undefined;
  private pruner: Timer | undefined;
  /** Sends waiting out their delay; a durable one is in the outbox already with its due time, which a restart keeps. */
  private readonly delayed = new Set<Timer>();
  /** Ids of durable messages waiting out their delay here, which the redelivery sweep leaves alone. */
  private readonly delayedIds = new Set<string>();
  private redeliverer: Timer | undefined;
  /** Ids the sweep delivered again, and when: not again before the redelivery time has passed once more. */
  private readonly swept = new Map<string, number>();
  /** Durable messages no node could take when they came (their owner not in this node's view yet), by id. */
  private readonly parked = new Map<string, Envelope>();
  /** How often each message bounced between nodes was routed again from here. */
  private readonly rerouted = new Map<string, number>();
  private running = false;

  constructor(private readonly options: NodeOptions) {
    this.nodeId = options.nodeId;
    this.store = options.store;
    this.clock = options.clock;
    this.logger = options.logger;
    this.recentMessages = options.recentMessages;
    this.transport = options.transport;
    this.cluster = options.cluster;
    if (this.cluster && this.cluster.self !== this.nodeId) throw new Error(`membership of '${this.cluster.self}' given to node '${this.nodeId}'`);
    this.system = nact.start();
    // The root supervisor never exits: whatever reaches it is logged and it carries on.
    this.root = nact.spawnStateless(this.system, () => {}, 'root', {
      onCrash: (_msg: unknown, error: unknown, ctx: { resume: symbol }) => {
        this.logger.error({ err: error }, 'fault escalated to the root supervisor');
        return ctx.resume;
      },
      // nact's typings want an actor-function signature for onCrash that its runtime does not use.
    } as never);
  }

  /** Called by a kind's supervisor: the kind's actors run under it with its policy. */
  supervise(definition: KindDefinition, policy: SupervisionPolicy, passivateAfterMs: number): void {
    if (this.kinds.has(definition.kind)) throw new Error(`actor kind '${definition.kind}' is already supervised`);
    this.store.registerKind(definition.kind, {
      model: definition.model,
      key: definition.key,
      shared: definition.shared,
      records: definition.records,
    });
    const supervisor = nact.spawnStateless(this.root, () => {}, definition.kind, {
      onCrash: (_msg: unknown, error: unknown, ctx: { resume: symbol }) => {
        this.logger.error({ err: error, kind: definition.kind }, 'fault escalated to a kind supervisor');
        return ctx.resume;
      },
      // nact's typings want an actor-function signature for onCrash that its runtime does not use.
    } as never);
    this.kinds.set(definition.kind, {
      definition,
      policy,
      passivateAfterMs: definition.passivates ? passivateAfterMs : 0,
      supervisor: `root/${definition.kind}`,
      stats: new KindStats(),
      activations: new Map(),
      nact: supervisor,
    });
  }

  /** Redelivers every accepted message not yet handled, then starts taking new ones. */
  async start(): Promise<number> {
    if (this.cluster) return this.startInCluster(this.cluster);
    const pending = await this.store.pendingOutbox();
    // A delayed message waits out what is left of its delay; the rest go now, in send order.
    for (const envelope of pending) {
      if (this.notDueYet(envelope)) this.deliverLater(envelope);
      else this.receive(envelope);
    }
    await this.transport.attach(this);
    this.running = true;
    this.scheduleSweep();
    this.schedulePrune();
    return pending.length;
  }

  /**
   * Joins the cluster, then delivers again what the outbox has held too long for the actors it now owns;
   * other nodes' actors' messages are theirs to deliver.
   */
  private async startInCluster(cluster: Membership): Promise<number> {
    await this.transport.attach(this);
    this.running = true;
    try {
      await cluster.join(this);
    } catch (error) {
      this.running = false;
      await this.transport.detach(this.nodeId);
      throw error;
    }
    this.scheduleSweep();
    this.schedulePrune();
    const redelivered = await this.redeliverOverdue();
    this.scheduleRedelivery(cluster);
    return redelivered;
  }

  /** Graceful in a cluster: hands movable actors over (drains) and leaves, before stopping like a lone node. */
  async stop(): Promise<void> {
    if (this.cluster && this.running) {
      try {
        await this.drain();
        await this.cluster.leave();
      } catch (error) {
        this.logger.warn({ err: error }, 'leaving the cluster failed; the others see this node down when its lease lapses');
      }
    }
    this.running = false;
    this.clock.clearTimeout(this.redeliverer);
    this.clock.clearTimeout(this.sweeper);
    this.clock.clearTimeout(this.pruner);
    for (const timer of this.delayed) this.clock.clearTimeout(timer);
    this.delayed.clear();
    this.delayedIds.clear();
    await this.transport.detach(this.nodeId);
    // Let handlers that are mid-commit finish so nothing half-done is left to redeliver.
    for (let i = 0; i < 200 && this.busy(); i++) await new Promise((r) => setTimeout(r, 10));
    for (const [, p] of this.pending) {
      this.clock.clearTimeout(p.timer);
      p.reject(new ActorError('stopped', 'node is stopping'));
    }
    this.pending.clear();
    nact.stop(this.system);
  }

  // ── messaging ──────────────────────────────────────────────────────────────

  /** Sends without waiting for an answer; a durable message is in the outbox when this resolves. */
  async send(to: ActorRef, type: string, payload: unknown, options: SendOptions = {}): Promise<void> {
    const envelope = this.checkedEnvelope(to, type, payload, options.correlationId);
    if (envelope.durable) await this.store.enqueue([envelope]);
    this.deliver([envelope]);
  }

  /** Fire-and-forget for transient messages: no promise, no outbox; the cheapest path there is. */
  tell(to: ActorRef, type: string, payload: unknown, options: SendOptions = {}): void {
    const envelope = this.checkedEnvelope(to, type, payload, options.correlationId);
    if (envelope.durable) throw new ActorError('invalid_message', `${to.kind}.${type} is durable: use send`);
    this.receive(envelope);
  }

  /** Request/reply: resolves with the handler's reply or rejects with an ActorError (a timeout too). */
  async ask<R = unknown>(to: ActorRef, type: string, payload: unknown, options: AskOptions = {}): Promise<R> {
    const requestId = `${this.bootId}-${++this.sequence}`;
    const envelope = { ...this.checkedEnvelope(to, type, payload, options.correlationId), replyTo: { node: this.nodeId, requestId } };
    const answer = new Promise<R>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs;
      const timer = this.clock.setTimeout(() => {
        if (this.pending.delete(requestId)) {
          reject(new ActorError('timeout', `no reply from ${refKey(to)} to '${type}' within ${timeoutMs} ms`));
        }
      }, timeoutMs);
      this.pending.set(requestId, { resolve, reject, timer });
    });
    if (envelope.durable && !options.commitOnly) {
      try {
        await this.store.enqueue([envelope]);
      } catch (error) {
        this.settle(requestId);
        throw error;
      }
    }
    this.deliver([envelope]);
    return answer;
  }

  receive(envelope: Envelope): void {
    const kind = this.kinds.get(envelope.to.kind);
    if (!kind) {
      this.reply(envelope, { ok: false, error: { code: 'unknown_kind', message: `no actor kind '${envelope.to.kind}'` } });
      return;
    }
    if (this.cluster && !this.owns(this.cluster, envelope)) return;
    let activation = kind.activations.get(envelope.to.id);
    if (!activation) activation = this.activate(kind, envelope.to);
    activation.depth++;
    dispatch(activation.mailbox as NactRef, envelope, this.root);
  }

  receiveReply(reply: Reply): void {
    const pending = this.settle(reply.requestId);
    if (!pending) return;
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(ActorError.from(reply.error));
  }

  // ── ActivationHost ─────────────────────────────────────────────────────────

  envelope(to: ActorRef, type: string, payload: unknown, from?: ActorRef, correlationId?: string): Envelope {
    const durable = this.kinds.get(to.kind)?.definition.protocol.isDurable(type) ?? true;
    return { id: durable ? randomUUID() : ++this.sequence, to, type, payload, durable, from, correlationId };
  }

  deliver(envelopes: readonly Envelope[]): void {
    for (const envelope of envelopes) {
      if (envelope.delayMs || this.notDueYet(envelope)) this.deliverLater(envelope);
      else if (this.cluster || this.kinds.has(envelope.to.kind)) this.receive(envelope);
      else this.transport.deliver(this.nodeId, envelope);
    }
  }

  reply(envelope: Envelope, reply: StoredReply): void {
    const to = envelope.replyTo;
    if (!to) return;
    const message: Reply = reply.ok
      ? { requestId: to.requestId, ok: true, value: reply.value }
      : { requestId: to.requestId, ok: false, error: reply.error as ErrorBody };
    if (to.node === this.nodeId) this.receiveReply(message);
    else this.transport.reply(to.node, message);
  }

  signal(activation: Activation, signal: Envelope): void {
    activation.depth++;
    dispatch(activation.mailbox as NactRef, signal, this.root);
  }

  acknowledge(envelope: Envelope): void {
    if (envelope.durable) this.transport.acknowledge(String(envelope.id));
  }

  changed(event: ChangeKind, ref: ActorRef, reason?: string): void {
    this.changes.emitChange({ event, ref, node: this.nodeId, at: this.clock.now(), ...(reason ? { reason } : {}) });
  }

  ownsNow(ref: ActorRef): boolean {
    return this.cluster?.ownerOf(ref.kind, ref.id) === this.nodeId;
  }

  handOver(envelope: Envelope): boolean {
    const owner = this.cluster?.ownerOf(envelope.to.kind, envelope.to.id);
    if (owner === undefined || owner === this.nodeId) return false;
    const hops = (envelope.hops ?? 0) + 1;
    if (hops > MAX_HOPS) return false;
    try {
      this.transport.deliver(owner, { ...envelope, hops });
      // Its copy is the new owner's now (and a durable one is still in the outbox): this node's may go.
      this.acknowledge(envelope);
      return true;
    } catch {
      // The owner's mailbox is full or Redis is away: the sender hears so; a durable message stays in the outbox.
      return false;
    }
  }

  retired(activation: Activation): void {
    this.remove(activation);
  }

  // ── cluster ────────────────────────────────────────────────────────────────

  placementOf(kind: string) {
    return this.kinds.get(kind)?.definition.placement;
  }

  load(): NodeInfo['load'] {
    let mailbox = 0;
    for (const a of this.activations()) mailbox += a.depth;
    return { activations: this.activeCount(), mailbox };
  }

  /** Hands over the activations of actors another node owns now (all of them after a lapsed lease). */
  viewChanged(rejoined: boolean): Promise<void> {
    this.handOverActivations(rejoined);
    // A node that joined (or a pin announced) may own what could not be delivered a moment ago: routed again now,
    // not when the outbox sweep finds it overdue.
    const parked = [...this.parked.values()];
    this.parked.clear();
    for (const envelope of parked) this.receive({ ...envelope, hops: 0 });
    return Promise.resolve();
  }

  private handOverActivations(rejoined: boolean): void {
    for (const kind of this.kinds.values()) {
      const movable = 'movable' in kind.definition.placement;
      for (const activation of [...kind.activations.values()]) {
        if (!rejoined && (!movable || this.cluster?.ownerOf(activation.ref.kind, activation.ref.id) === this.nodeId)) continue;
        if (activation.busy || activation.depth > 0) {
          activation.retiring = true;
          continue;
        }
        this.remove(activation);
        kind.stats.passivations++;
        this.changed('passivated', activation.ref, rejoined ? 'rejoined the cluster' : 'handed over');
      }
    }
  }

  /** Takes no new activations of movable actors and hands the live ones over; resolves when they are gone (bounded). */
  async drain(): Promise<void> {
    if (!this.cluster) return;
    await this.cluster.drain(this.nodeId);
    for (let i = 0; i < 500 && this.movableActive() > 0; i++) {
      await this.viewChanged(false);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private movableActive(): number {
    let n = 0;
    for (const kind of this.kinds.values()) if ('movable' in kind.definition.placement) n += kind.activations.size;
    return n;
  }

  /**
   * Whether this node owns the envelope's target now; if not, the envelope is passed on to the owner, or
   * refused as unavailable when none can take it (a durable one stays in the outbox for its owner's sweep).
   */
  private owns(cluster: Membership, envelope: Envelope): boolean {
    const { kind, id } = envelope.to;
    const owner = cluster.ownerOf(kind, id);
    if (owner === this.nodeId) return true;
    if (owner === undefined) {
      this.unavailable(envelope, cluster.whyUnavailable(kind, id));
      return false;
    }
    const hops = (envelope.hops ?? 0) + 1;
    if (hops > MAX_HOPS) {
      // Nodes disagree about the owner while membership changes; their views agree within cluster.sweepMs, so the
      // message is routed again from here shortly (bounded) rather than refused.
      const key = `${kind}/${id}#${String(envelope.id)}`;
      const tries = (this.rerouted.get(key) ?? 0) + 1;
      if (tries <= MAX_REROUTES) {
        if (this.rerouted.size >= MAX_PARKED) this.rerouted.clear();
        this.rerouted.set(key, tries);
        this.clock.setTimeout(() => {
          if (this.running) this.receive({ ...envelope, hops: 0 });
        }, REROUTE_MS);
        return false;
      }
      this.rerouted.delete(key);
      this.unavailable(envelope, `${kind}/${id} was passed on ${MAX_HOPS} times without reaching its owner (membership is changing)`);
      return false;
    }
    try {
      this.transport.deliver(owner, { ...envelope, hops });
    } catch (error) {
      this.unavailable(envelope, error instanceof Error ? error.message : String(error), error instanceof ActorError ? error.code : undefined);
    }
    return false;
  }

  private unavailable(envelope: Envelope, why: string, code = 'unavailable'): void {
    const kept = envelope.durable ? '; the message is kept and delivered once its owner can take it' : '';
    if (envelope.durable && code === 'unavailable' && this.parked.size < MAX_PARKED) this.parked.set(String(envelope.id), envelope);
    this.logger.debug({ actor: refKey(envelope.to), type: envelope.type, why }, 'message not deliverable now');
    this.reply(envelope, { ok: false, error: { code, message: `${refKey(envelope.to)} is unavailable: ${why}${kept}` } });
  }

  private scheduleRedelivery(cluster: Membership): void {
    if (!this.running) return;
    this.redeliverer = this.clock.setTimeout(() => {
      this.redeliverOverdue()
        .catch((error) => this.logger.warn({ err: error }, 'outbox redelivery sweep failed'))
        .finally(() => this.scheduleRedelivery(cluster));
    }, cluster.redeliverAfterMs / 2);
  }

  /**
   * Delivers again, in send order, the durable messages older than the redelivery time addressed to actors
   * this node owns now: the node that took them may have died before handling them. A copy of one that is
   * only slow is answered from the inbox, so it is never applied twice.
   */
  async redeliverOverdue(): Promise<number> {
    const cluster = this.cluster;
    if (!cluster || !this.running) return 0;
    const now = this.clock.now();
    const before = now - cluster.redeliverAfterMs;
    for (const [id, at] of this.swept) if (at <= before) this.swept.delete(id);
    let after = 0;
    let count = 0;
    for (;;) {
      const page = await this.store.overdueOutbox(before, after, SWEEP_PAGE);
      for (const { seq, envelope } of page) {
        after = seq;
        const id = String(envelope.id);
        if (!this.running || this.swept.has(id) || this.delayedIds.has(id) || !this.kinds.has(envelope.to.kind)) continue;
        if (cluster.ownerOf(envelope.to.kind, envelope.to.id) !== this.nodeId) continue;
        this.swept.set(id, now);
        this.receive(envelope);
        count++;
      }
      if (page.length < SWEEP_PAGE) return count;
    }
  }

  // ── operators ──────────────────────────────────────────────────────────────

  /** Restarts an actor: a failed one is cleared to run again, a live one reloads its state. */
  async restart(ref: ActorRef): Promise<void> {
    const kind = this.requireKind(ref.kind);
    await this.store.clearFailure(ref);
    const activation = kind.activations.get(ref.id);
    if (activation && activation.status === 'failed') this.remove(activation);
    else activation?.reload();
    this.changed('restarted', ref, 'operator');
  }

  /** Stops an actor's activation once its mailbox is empty; its next message activates it again. */
  stopActor(ref: ActorRef): boolean {
    const activation = this.kinds.get(ref.kind)?.activations.get(ref.id);
    if (!activation) return false;
    if (activation.busy || activation.depth > 0) activation.retiring = true;
    else this.remove(activation);
    this.changed('stopped', ref, 'operator');
    return true;
  }

  /** Whether the actor has a live activation on this node (introspection, cheaper than `info`). */
  isActive(ref: ActorRef): boolean {
    return this.kinds.get(ref.kind)?.activations.has(ref.id) ?? false;
  }

  info(ref: ActorRef): ActivationInfo | undefined {
    return this.kinds.get(ref.kind)?.activations.get(ref.id)?.info();
  }

  /** Every live activation, optionally of one kind. */
  *activations(kind?: string): IterableIterator<Activation> {
    for (const [name, k] of this.kinds) if (!kind || kind === name) yield* k.activations.values();
  }

  kindRuntimes(): KindRuntime[] {
    return [...this.kinds.values()];
  }

  activeCount(kind?: string): number {
    let n = 0;
    for (const [name, k] of this.kinds) if (!kind || kind === name) n += k.activations.size;
    return n;
  }

  get pendingRequests(): number {
    return this.pending.size;
  }

  // ── internals ──────────────────────────────────────────────────────────────

  private checkedEnvelope(to: ActorRef, type: string, payload: unknown, correlationId?: string): Envelope {
    const kind = this.requireKind(to.kind);
    if (!kind.definition.protocol.has(type)) throw new ActorError('invalid_message', `${to.kind} has no message type '${type}'`);
    const envelope = this.envelope(to, type, payload, undefined, correlationId);
    // A durable message is checked before it is stored, so nothing malformed is ever accepted.
    if (envelope.durable) {
      const invalid = kind.definition.protocol.validate(type, payload);
      if (invalid) throw invalid;
    }
    return envelope;
  }

  private requireKind(name: string) {
    const kind = this.kinds.get(name);
    if (!kind) throw new ActorError('unknown_kind', `no actor kind '${name}'`);
    return kind;
  }

  private activate(kind: KindRuntime & { activations: Map<string, Activation>; nact: NactRef }, ref: ActorRef): Activation {
    const activation = new Activation({ kind: ref.kind, id: ref.id }, kind, this);
    // nact's typings tie initialState and onCrash to its own state and context types, not this runtime's.
    activation.mailbox = nact.spawn(kind.nact, processMessage, nactName(ref.id), { initialState: activation, onCrash: this.onActorFault } as never);
    kind.activations.set(ref.id, activation);
    if (this.cluster) activation.catchUp();
    kind.stats.activations++;
    this.changed('activated', activation.ref);
    return activation;
  }

  // Handler crashes are dealt with inside the activation; anything reaching nact is a runtime bug.
  // One function for all actors, so an activation carries no closure of its own.
  private readonly onActorFault = (_msg: unknown, error: unknown, ctx: { resume: symbol; path: { parts: string[] } }) => {
    this.logger.error({ err: error, actor: ctx.path.parts.slice(1).join('/') }, 'runtime fault in actor');
    return ctx.resume;
  };

  private remove(activation: Activation): void {
    const kind = this.kinds.get(activation.ref.kind);
    if (kind?.activations.get(activation.ref.id) !== activation) return;
    kind.activations.delete(activation.ref.id);
    nact.stop(activation.mailbox as NactRef);
  }

  private settle(requestId: string): Pending | undefined {
    const pending = this.pending.get(requestId);
    if (!pending) return undefined;
    this.pending.delete(requestId);
    this.clock.clearTimeout(pending.timer);
    return pending;
  }

  private notDueYet(envelope: Envelope): boolean {
    return envelope.dueAt !== undefined && envelope.dueAt > this.clock.now();
  }

  /** Delivers after `delayMs`, or at `dueAt` (read back from the outbox); a message already waiting here is not queued twice. */
  private deliverLater(envelope: Envelope): void {
    const { delayMs, dueAt, ...now } = envelope;
    const id = envelope.durable ? String(envelope.id) : undefined;
    if (id && this.delayedIds.has(id)) return;
    if (id) this.delayedIds.add(id);
    const wait = dueAt === undefined ? (delayMs ?? 0) : Math.max(0, dueAt - this.clock.now());
    const timer = this.clock.setTimeout(() => {
      this.delayed.delete(timer);
      if (id) this.delayedIds.delete(id);
      if (this.running) this.deliver([now]);
    }, wait);
    this.delayed.add(timer);
  }

  private busy(): boolean {
    for (const a of this.activations()) if (a.busy) return true;
    return false;
  }

  private scheduleSweep(): void {
    if (!this.running) return;
    this.sweeper = this.clock.setTimeout(() => {
      this.passivateIdle();
      this.scheduleSweep();
    }, this.options.passivationSweepMs);
  }

  // Without pruning, every durable message (a heartbeat every few seconds) would leave a row forever.
  private schedulePrune(): void {
    const { inboxRetentionMs = 3_600_000, inboxPruneMs = 600_000 } = this.options;
    if (!this.running || inboxPruneMs <= 0) return;
    this.pruner = this.clock.setTimeout(() => {
      this.store
        .pruneInbox(this.clock.now() - inboxRetentionMs)
        .then((n) => {
          if (n) this.logger.debug({ pruned: n }, 'handled message ids forgotten');
        })
        .catch((error) => this.logger.warn({ err: error }, 'inbox pruning failed'))
        .finally(() => this.schedulePrune());
    }, inboxPruneMs);
  }

  /** Idle actors of passivating kinds give their memory back; their state stays in the database. */
  passivateIdle(): number {
    const now = this.clock.now();
    let count = 0;
    for (const kind of this.kinds.values()) {
      if (kind.passivateAfterMs <= 0) continue;
      for (const activation of kind.activations.values()) {
        if (activation.busy || activation.depth > 0 || now - activation.lastActive < kind.passivateAfterMs) continue;
        if (activation.status === 'failed') continue;
        if (kind.definition.keepsActive?.(activation.state)) continue;
        this.remove(activation);
        kind.stats.passivations++;
        this.changed('passivated', activation.ref);
        count++;
      }
    }
    return count;
  }
}

// One function for every actor; nact's state is the activation itself.
function processMessage(activation: Activation, envelope: Envelope): Activation | Promise<Activation> {
  const pending = activation.process(envelope);
  return pending ? pending.then(() => activation) : activation;
}
