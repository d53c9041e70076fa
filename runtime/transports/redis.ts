import type { Redis } from 'ioredis';
import { SystemClock, type Clock } from '../clock.js';
import type { Envelope, Reply } from '../envelope.js';
import { ActorError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { NodeEndpoint, Transport } from '../transport.js';
import { FIELD, decodeEntry, encodeBatch, encodeEnvelope, encodeReply } from './redis-codec.js';
import { connected, redisAddress, redisConnection, type ConnectionOptions } from './redis-connection.js';
import { StreamReader, type StreamEntry } from './redis-reader.js';

export interface RedisTransportOptions {
  /** `redis://[user:password@]host:port[/db]`, or `rediss://…` for TLS. */
  readonly url: string;
  /** The CA that signed the server's certificate (`rediss://` with a private CA). */
  readonly caFile?: string;
  /** Prefixes every key, so several clusters can share one Redis. Default `stratus:`. */
  readonly keyPrefix?: string;
  /** Entries a node's stream may hold (unread or unacknowledged) before senders are refused. Default 10,000. */
  readonly maxPending?: number;
  /** How long `whenRoom` waits for a full mailbox to drain before refusing. Default 0. */
  readonly sendWaitMs?: number;
  /** Entries written in one pipeline. Default 512. */
  readonly maxBatch?: number;
  /** Entries read at once. Default 512. */
  readonly readCount?: number;
  /** How long a read blocks waiting for entries. Default 1,000 ms. */
  readonly blockMs?: number;
  /** A durable envelope not acknowledged this long after its delivery is delivered again. Default 30,000 ms. */
  readonly redeliverAfterMs?: number;
  readonly connectTimeoutMs?: number;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

export interface RedisTransportStats {
  /** Envelopes and replies written (several to one stream entry). */
  sent: number;
  /** Envelopes and replies read (redelivered ones included, malformed ones not). */
  received: number;
  /** Durable envelopes delivered to a node here and not yet acknowledged. */
  pending: number;
  /** Envelopes refused: the target's mailbox was full. */
  refused: number;
  redelivered: number;
  /** Entries or items that were not a valid envelope or reply: logged, acknowledged and dropped. */
  malformed: number;
  /** Envelopes and replies a failed write lost (durable ones come back from their outbox). */
  lost: number;
}

interface Outgoing {
  readonly target: string;
  /** The encoded item. */
  readonly item: string;
  /** Counted against the sender's view of the target's bound (an envelope; a reply is never refused). */
  readonly counted: boolean;
}

/** What a sender knows of a target's pending count: the last value it read, and what it wrote since. */
interface Mailbox {
  confirmed: number;
  unconfirmed: number;
  checking?: Promise<void>;
}

interface Attached {
  readonly endpoint: NodeEndpoint;
  readonly reader: StreamReader;
  readonly key: string;
}

/** An entry read here holding durable envelopes: it is deleted once all of them are acknowledged. */
interface Receipt {
  readonly key: string;
  readonly entryId: string;
  /** Its durable items, taken off the pending count when it is deleted (the others were on receipt). */
  items: number;
  readonly unacknowledged: Set<string>;
}

const GROUP = 'mailbox';
// Takes acknowledged items off a pending count, never below zero: after Redis lost its data a node may
// acknowledge entries that no longer exist.
const RELEASE = `local v = redis.call('DECRBY', KEYS[1], ARGV[1])
if v < 0 then redis.call('SET', KEYS[1], 0) return 0 end
return v`;
// Pipelines in flight at once on the writer: enough to keep Redis busy while the next batch is encoded.
const MAX_IN_FLIGHT = 4;

/**
 * Carries envelopes between node processes through Redis: one stream per node (`<prefix>node:<id>`) read
 * through a consumer group. What one flush writes to one node is one entry (a batch, in delivery order),
 * written through one connection in pipelines, so a target reads a sender's envelopes in the order sent.
 * An entry holding durable envelopes stays pending in the group until the node acknowledged every one of
 * them (their handlers committed), then it is deleted; transient envelopes and replies are delivered once.
 * Unacknowledged entries are delivered again (marked) after `redeliverAfterMs`. A node's pending count
 * (`<prefix>pending:<id>`, kept by writers and reader) is bounded: at `maxPending` senders are refused.
 */
export class RedisTransport implements Transport {
  readonly stats: RedisTransportStats = { sent: 0, received: 0, pending: 0, refused: 0, redelivered: 0, malformed: 0, lost: 0 };
  private readonly connection: ConnectionOptions;
  private readonly writer: Redis;
  private readonly prefix: string;
  private readonly maxPending: number;
  private readonly sendWaitMs: number;
  private readonly maxBatch: number;
  private readonly readCount: number;
  private readonly blockMs: number;
  private readonly redeliverAfterMs: number;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly where: string;
  private readonly attached = new Map<string, Attached>();
  private readonly mailboxes = new Map<string, Mailbox>();
  /** Entries read here that hold durable envelopes not yet acknowledged, by `key entryId`. */
  private readonly receipts = new Map<string, Receipt>();
  /** The entries each unacknowledged durable envelope was read in (more than one after a redelivery). */
  private readonly unacknowledged = new Map<string, Receipt[]>();
  private queue: Outgoing[] = [];
  private acks = new Map<string, { entries: string[]; items: number }>();
  private inFlight = 0;
  private flushScheduled = false;
  private closed = false;

  constructor(options: RedisTransportOptions) {
    this.logger = options.logger ?? silentLogger();
    this.clock = options.clock ?? new SystemClock();
    this.connection = { url: options.url, caFile: options.caFile, connectTimeoutMs: options.connectTimeoutMs ?? 5_000, logger: this.logger };
    this.prefix = options.keyPrefix ?? 'stratus:';
    this.maxPending = options.maxPending ?? 10_000;
    this.sendWaitMs = options.sendWaitMs ?? 0;
    this.maxBatch = options.maxBatch ?? 512;
    this.readCount = options.readCount ?? 512;
    this.blockMs = options.blockMs ?? 1_000;
    this.redeliverAfterMs = options.redeliverAfterMs ?? 30_000;
    this.where = redisAddress(options.url);
    this.writer = redisConnection(this.connection, 'writer', 'stratus-writer');
  }

  /** The stream a node reads. */
  key(nodeId: string): string {
    return `${this.prefix}node:${nodeId}`;
  }

  /** How many items a node's stream holds unread or unacknowledged, kept by its writers and its reader. */
  counterKey(nodeId: string): string {
    return `${this.prefix}pending:${nodeId}`;
  }

  /** Connects the writer; throws ActorError('unavailable') if Redis cannot be reached. */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    return connected(this.writer, this.connection, this.clock);
  }

  async attach(node: NodeEndpoint): Promise<void> {
    if (this.attached.has(node.nodeId)) throw new Error(`node ${node.nodeId} is attached already`);
    await this.ready();
    const key = this.key(node.nodeId);
    const connection = redisConnection(this.connection, 'reader', `stratus-reader-${node.nodeId}`);
    try {
      await connected(connection, this.connection, this.clock);
    } catch (error) {
      connection.disconnect();
      throw error;
    }
    const reader = new StreamReader(
      {
        key,
        group: GROUP,
        consumer: node.nodeId,
        readCount: this.readCount,
        blockMs: this.blockMs,
        redeliverAfterMs: this.redeliverAfterMs,
        clock: this.clock,
        logger: this.logger,
        take: (entries, redelivered) => this.take(node, key, entries, redelivered),
      },
      connection,
      this.writer,
    );
    this.attached.set(node.nodeId, { endpoint: node, reader, key });
    try {
      await reader.start();
    } catch (error) {
      this.attached.delete(node.nodeId);
      await reader.stop();
      throw new ActorError('unavailable', `cannot read node ${node.nodeId}'s stream at ${this.where}: ${(error as Error).message}`);
    }
  }

  async detach(nodeId: string): Promise<void> {
    const attached = this.attached.get(nodeId);
    if (!attached) return;
    this.attached.delete(nodeId);
    await attached.reader.stop();
    // What it did not acknowledge stays pending in Redis, for its next incarnation or a reclaim.
    for (const [at, receipt] of this.receipts) {
      if (receipt.key !== attached.key) continue;
      this.receipts.delete(at);
      for (const messageId of receipt.unacknowledged) this.unacknowledged.delete(messageId);
    }
    this.stats.pending = this.unacknowledged.size;
  }

  deliver(to: string, envelope: Envelope): void {
    this.checkWritable(to);
    const mailbox = this.mailbox(to);
    const held = mailbox.confirmed + mailbox.unconfirmed;
    if (held >= this.maxPending) {
      this.stats.refused++;
      void this.refresh(to);
      throw this.overloaded(to, held);
    }
    let item: string;
    try {
      item = encodeEnvelope(envelope);
    } catch (error) {
      throw new ActorError('invalid_message', `${envelope.to.kind}.${envelope.type} cannot be sent: ${(error as Error).message}`);
    }
    mailbox.unconfirmed++;
    this.push({ target: to, item, counted: true });
  }

  /** A reply is never refused for a full mailbox (it answers what was taken); with Redis away it is dropped and the asker times out. */
  reply(to: string, reply: Reply): void {
    if (this.closed || this.writer.status !== 'ready') {
      this.logger.debug({ to, requestId: reply.requestId }, 'reply dropped: Redis is unreachable');
      return;
    }
    this.push({ target: to, item: encodeReply(reply), counted: false });
  }

  acknowledge(messageId: string): void {
    const receipts = this.unacknowledged.get(messageId);
    if (!receipts) return;
    this.unacknowledged.delete(messageId);
    this.stats.pending = this.unacknowledged.size;
    for (const receipt of receipts) {
      receipt.unacknowledged.delete(messageId);
      if (receipt.unacknowledged.size > 0) continue;
      this.receipts.delete(`${receipt.key} ${receipt.entryId}`);
      this.ack(receipt.key, receipt.entryId, receipt.items);
    }
  }

  async forget(nodeId: string): Promise<void> {
    await this.ready();
    await this.writer.del(this.key(nodeId), this.counterKey(nodeId));
    this.mailboxes.delete(nodeId);
  }

  /**
   * Resolves once node `to`'s mailbox has room, waiting at most `sendWaitMs`; then rejects with
   * ActorError('overloaded'). For senders that can wait (`deliver` itself never blocks).
   */
  async whenRoom(to: string): Promise<void> {
    const deadline = this.clock.now() + this.sendWaitMs;
    for (;;) {
      this.checkWritable(to);
      const mailbox = this.mailbox(to);
      const held = mailbox.confirmed + mailbox.unconfirmed;
      if (held < this.maxPending) return;
      if (this.clock.now() >= deadline) {
        this.stats.refused++;
        throw this.overloaded(to, held);
      }
      await this.refresh(to);
      if (this.mailbox(to).confirmed + this.mailbox(to).unconfirmed >= this.maxPending) {
        await this.clock.sleep(Math.min(5, Math.max(1, deadline - this.clock.now())));
      }
    }
  }

  /** Stops reading, writes what is queued, and closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const nodeId of [...this.attached.keys()]) await this.detach(nodeId);
    this.closed = true;
    if (this.writer.status === 'ready') {
      this.flush();
      await this.writer.quit().catch(() => undefined);
    }
    this.writer.disconnect();
  }

  // ── writing ────────────────────────────────────────────────────────────────

  private checkWritable(to: string): void {
    if (this.closed) throw this.closedError();
    if (this.writer.status !== 'ready') {
      throw new ActorError('unavailable', `node ${to} cannot be reached now: Redis at ${this.where} is unreachable (${this.writer.status})`);
    }
  }

  private overloaded(to: string, held: number): ActorError {
    return new ActorError(
      'overloaded',
      `node ${to}'s mailbox holds ${held} undelivered or unacknowledged messages, its bound (maxPending ${this.maxPending}): retry later`,
      { node: to, held, maxPending: this.maxPending },
    );
  }

  private closedError(): ActorError {
    return new ActorError('unavailable', 'the Redis transport is closed');
  }

  private mailbox(to: string): Mailbox {
    let mailbox = this.mailboxes.get(to);
    if (!mailbox) this.mailboxes.set(to, (mailbox = { confirmed: 0, unconfirmed: 0 }));
    return mailbox;
  }

  /** Reads a full mailbox's length again: its reader may have drained it since the last write told us. */
  private refresh(to: string): Promise<void> {
    const mailbox = this.mailbox(to);
    if (mailbox.checking) return mailbox.checking;
    if (this.writer.status !== 'ready') return Promise.resolve();
    mailbox.checking = this.writer
      .get(this.counterKey(to))
      .then((held) => {
        mailbox.confirmed = Math.max(0, Number(held ?? 0));
      })
      .catch(() => undefined)
      .finally(() => {
        mailbox.checking = undefined;
      });
    return mailbox.checking;
  }

  private push(item: Outgoing): void {
    this.queue.push(item);
    this.schedule();
  }

  /** Acknowledges and deletes an entry read here, and takes its items off its node's pending count. */
  private ack(key: string, entry: string, items: number): void {
    const acks = this.acks.get(key);
    if (acks) {
      acks.entries.push(entry);
      acks.items += items;
    } else this.acks.set(key, { entries: [entry], items });
    this.schedule();
  }

  /** Takes items of an entry still held (its transient ones, delivered) off the pending count. */
  private release(key: string, items: number): void {
    if (items <= 0) return;
    const acks = this.acks.get(key);
    if (acks) acks.items += items;
    else this.acks.set(key, { entries: [], items });
    this.schedule();
  }

  // Writes are gathered for one turn of the event loop and go out as pipelines, in the order they came.
  private schedule(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    while ((this.queue.length > 0 || this.acks.size > 0) && this.inFlight < MAX_IN_FLIGHT) {
      const batch = this.queue.length > this.maxBatch ? this.queue.splice(0, this.maxBatch) : this.queue;
      if (batch === this.queue) this.queue = [];
      const acks = this.acks;
      this.acks = new Map();
      this.write(batch, acks);
    }
  }

  private write(batch: Outgoing[], acks: Map<string, { entries: string[]; items: number }>): void {
    // One entry per target: its items in the order they were delivered.
    const byTarget = new Map<string, { items: string[]; counted: number }>();
    for (const { target, item, counted } of batch) {
      let entry = byTarget.get(target);
      if (!entry) byTarget.set(target, (entry = { items: [], counted: 0 }));
      entry.items.push(item);
      if (counted) entry.counted++;
    }
    const settle = () => {
      for (const [target, { counted }] of byTarget) {
        const mailbox = this.mailboxes.get(target);
        if (mailbox) mailbox.unconfirmed = Math.max(0, mailbox.unconfirmed - counted);
      }
      this.inFlight--;
      if (this.queue.length > 0 || this.acks.size > 0) this.schedule();
    };
    this.inFlight++;
    if (this.writer.status !== 'ready') {
      this.lose(batch.length, new Error(`Redis is ${this.writer.status}`));
      settle();
      return;
    }
    const pipeline = this.writer.pipeline();
    const targets = [...byTarget.keys()];
    for (const [target, { items }] of byTarget) {
      pipeline.xadd(this.key(target), '*', FIELD, encodeBatch(items));
      // Its result is the sender's fresh view of the target's bound (every sender's writes counted).
      pipeline.incrby(this.counterKey(target), items.length);
    }
    for (const [key, { entries, items }] of acks) {
      if (entries.length > 0) {
        pipeline.xack(key, GROUP, ...entries);
        pipeline.xdel(key, ...entries);
      }
      if (items > 0) pipeline.eval(RELEASE, 1, this.counterOfStream(key), items);
    }
    pipeline
      .exec()
      .then((results) => {
        targets.forEach((target, i) => {
          const [addError] = results?.[2 * i] ?? [];
          const [countError, held] = results?.[2 * i + 1] ?? [];
          const items = byTarget.get(target)!.items.length;
          if (addError) this.lose(items, addError);
          else this.stats.sent += items;
          const mailbox = this.mailboxes.get(target);
          if (!countError && typeof held === 'number' && mailbox) mailbox.confirmed = held;
        });
      })
      .catch((error: unknown) => this.lose(batch.length, error as Error))
      .finally(settle);
  }

  private counterOfStream(key: string): string {
    return this.counterKey(key.slice(`${this.prefix}node:`.length));
  }

  private lose(count: number, cause: Error): void {
    if (count === 0) return;
    this.stats.lost += count;
    this.logger.warn(
      { err: cause, lost: count, redis: this.where },
      'writing to Redis failed: entries lost (durable ones are redelivered from the outbox)',
    );
  }

  // ── reading ────────────────────────────────────────────────────────────────

  private take(node: NodeEndpoint, key: string, entries: StreamEntry[], redelivered: boolean): void {
    for (const [entryId, fields] of entries) {
      // XAUTOCLAIM answers a deleted entry with no fields: nothing to deliver.
      if (fields === null) continue;
      const { items, malformed } = decodeEntry(fields);
      this.stats.received += items.length;
      if (malformed.length) {
        this.stats.malformed += malformed.length;
        this.logger.warn({ stream: key, entry: entryId, reasons: malformed.slice(0, 5) }, 'malformed stream entry items dropped');
      }
      const at = `${key} ${entryId}`;
      const known = this.receipts.get(at);
      let receipt = known;
      for (const item of items) {
        if ('reply' in item) {
          // A reply or transient envelope is delivered once: a redelivered entry carries only its durable ones again.
          if (!redelivered) this.handOver(() => node.receiveReply(item.reply), key, entryId);
          continue;
        }
        const { envelope } = item;
        if (!envelope.durable) {
          if (!redelivered) this.handOver(() => node.receive(envelope), key, entryId);
          continue;
        }
        const messageId = String(envelope.id);
        // Entries this incarnation holds already: only what is still unacknowledged goes round again.
        if (known && !known.unacknowledged.has(messageId)) continue;
        if (!receipt) {
          receipt = { key, entryId, items: 0, unacknowledged: new Set() };
          this.receipts.set(at, receipt);
        }
        if (!known) {
          receipt.unacknowledged.add(messageId);
          const receipts = this.unacknowledged.get(messageId);
          if (receipts) receipts.push(receipt);
          else this.unacknowledged.set(messageId, [receipt]);
        }
        if (redelivered) this.stats.redelivered++;
        this.handOver(() => node.receive(redelivered ? { ...envelope, redelivered: true } : envelope), key, entryId);
      }
      // A redelivered entry's other items were taken off the count when they were first read.
      const total = redelivered ? items.filter((i) => 'envelope' in i && i.envelope.durable).length : items.length + malformed.length;
      if (!receipt || receipt.unacknowledged.size === 0) {
        this.receipts.delete(at);
        this.ack(key, entryId, known ? 0 : total);
      } else if (!known) {
        receipt.items = receipt.unacknowledged.size;
        this.release(key, total - receipt.items);
      }
    }
    this.stats.pending = this.unacknowledged.size;
  }

  private handOver(deliver: () => void, key: string, entryId: string): void {
    try {
      deliver();
    } catch (error) {
      this.logger.error({ err: error, stream: key, entry: entryId }, 'the node refused an entry from its stream');
    }
  }
}
