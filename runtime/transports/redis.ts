import type { Redis } from 'ioredis';
import { SystemClock, type Clock } from '../clock.js';
import type { Envelope, Reply } from '../envelope.js';
import { ActorError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { NodeEndpoint, Transport } from '../transport.js';
import { decodeEntry, encodeEnvelope, encodeReply } from './redis-codec.js';
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
  /** Entries written (envelopes and replies). */
  sent: number;
  /** Entries read (new and redelivered, malformed included). */
  received: number;
  /** Durable envelopes delivered to a node here and not yet acknowledged. */
  pending: number;
  /** Envelopes refused: the target's mailbox was full. */
  refused: number;
  redelivered: number;
  /** Entries that were not a valid envelope or reply: logged, acknowledged and dropped. */
  malformed: number;
  /** Entries a failed write lost (durable ones come back from their outbox). */
  lost: number;
}

interface Outgoing {
  readonly key: string;
  readonly fields: [string, string];
  /** Counted against the target's bound (an envelope; a reply never is). */
  readonly target?: string;
}

/** What a sender knows of a target's stream length: the last XLEN it read, and what it wrote since. */
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

const GROUP = 'mailbox';
// Pipelines in flight at once on the writer: enough to keep Redis busy while the next batch is encoded.
const MAX_IN_FLIGHT = 4;

/**
 * Carries envelopes between node processes through Redis: one stream per node (`<prefix>node:<id>`) read
 * through a consumer group. A durable envelope stays pending in the group until the node acknowledges it
 * (its handler committed), then it is deleted; transient envelopes and replies are deleted once read. Every
 * write goes through one connection, in order, batched into pipelines: the order a sender delivers in is
 * the order its target reads. A target's stream is bounded: at `maxPending` entries senders are refused.
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
  /** Durable envelopes delivered here, by message id: the entries acknowledging it deletes. */
  private readonly receipts = new Map<string, { key: string; entries: string[] }>();
  private queue: Outgoing[] = [];
  private acks = new Map<string, string[]>();
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
    for (const [id, receipt] of this.receipts) {
      if (receipt.key === attached.key) {
        this.receipts.delete(id);
        this.stats.pending--;
      }
    }
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
    let fields: [string, string];
    try {
      fields = encodeEnvelope(envelope);
    } catch (error) {
      throw new ActorError('invalid_message', `${envelope.to.kind}.${envelope.type} cannot be sent: ${(error as Error).message}`);
    }
    mailbox.unconfirmed++;
    this.push({ key: this.key(to), fields, target: to });
  }

  /** A reply is never refused for a full mailbox (it answers what was taken); with Redis away it is dropped and the asker times out. */
  reply(to: string, reply: Reply): void {
    if (this.closed || this.writer.status !== 'ready') {
      this.logger.debug({ to, requestId: reply.requestId }, 'reply dropped: Redis is unreachable');
      return;
    }
    this.push({ key: this.key(to), fields: encodeReply(reply) });
  }

  acknowledge(messageId: string): void {
    const receipt = this.receipts.get(messageId);
    if (!receipt) return;
    this.receipts.delete(messageId);
    this.stats.pending--;
    for (const entry of receipt.entries) this.ack(receipt.key, entry);
  }

  async forget(nodeId: string): Promise<void> {
    await this.ready();
    await this.writer.del(this.key(nodeId));
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
        await this.clock.sleep(Math.min(50, Math.max(1, deadline - this.clock.now())));
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
      .xlen(this.key(to))
      .then((length) => {
        mailbox.confirmed = length;
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

  private ack(key: string, entry: string): void {
    const entries = this.acks.get(key);
    if (entries) entries.push(entry);
    else this.acks.set(key, [entry]);
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

  private write(batch: Outgoing[], acks: Map<string, string[]>): void {
    const counts = new Map<string, number>();
    for (const item of batch) if (item.target !== undefined) counts.set(item.target, (counts.get(item.target) ?? 0) + 1);
    const settle = () => {
      for (const [target, n] of counts) {
        const mailbox = this.mailboxes.get(target);
        if (mailbox) mailbox.unconfirmed = Math.max(0, mailbox.unconfirmed - n);
      }
      this.inFlight--;
      if (this.queue.length > 0 || this.acks.size > 0) this.schedule();
    };
    if (this.writer.status !== 'ready') {
      this.lose(batch.length, new Error(`Redis is ${this.writer.status}`));
      this.inFlight++;
      settle();
      return;
    }
    const pipeline = this.writer.pipeline();
    for (const item of batch) pipeline.xadd(item.key, '*', ...item.fields);
    for (const [key, entries] of acks) {
      pipeline.xack(key, GROUP, ...entries);
      pipeline.xdel(key, ...entries);
    }
    // Each batch ends with the length of every stream it wrote to: the senders' view of the bound.
    const targets = [...counts.keys()];
    for (const target of targets) pipeline.xlen(this.key(target));
    this.inFlight++;
    pipeline
      .exec()
      .then((results) => {
        let failed = 0;
        let cause: Error | undefined;
        for (let i = 0; i < batch.length; i++) {
          const error = results?.[i]?.[0];
          if (error) {
            failed++;
            cause ??= error;
          }
        }
        this.stats.sent += batch.length - failed;
        if (failed) this.lose(failed, cause!);
        const lengths = results?.slice(results.length - targets.length) ?? [];
        targets.forEach((target, i) => {
          const [error, length] = lengths[i] ?? [];
          const mailbox = this.mailboxes.get(target);
          if (!error && typeof length === 'number' && mailbox) mailbox.confirmed = length;
        });
      })
      .catch((error: unknown) => this.lose(batch.length, error as Error))
      .finally(settle);
  }

  private lose(count: number, cause: Error): void {
    if (count === 0) return;
    this.stats.lost += count;
    this.logger.warn({ err: cause, lost: count, redis: this.where }, 'writing to Redis failed: entries lost (durable ones are redelivered from the outbox)');
  }

  // ── reading ────────────────────────────────────────────────────────────────

  private take(node: NodeEndpoint, key: string, entries: StreamEntry[], redelivered: boolean): void {
    for (const [entryId, fields] of entries) {
      // XAUTOCLAIM answers a deleted entry with no fields: nothing to deliver.
      if (fields === null) continue;
      this.stats.received++;
      const decoded = decodeEntry(fields);
      if (typeof decoded === 'string') {
        this.stats.malformed++;
        this.logger.warn({ stream: key, entry: entryId, reason: decoded }, 'malformed stream entry dropped');
        this.ack(key, entryId);
        continue;
      }
      if ('reply' in decoded) {
        this.ack(key, entryId);
        this.handOver(() => node.receiveReply(decoded.reply), key, entryId);
        continue;
      }
      const envelope: Envelope = redelivered ? { ...decoded.envelope, redelivered: true } : decoded.envelope;
      if (redelivered) this.stats.redelivered++;
      if (envelope.durable) this.hold(String(envelope.id), key, entryId);
      else this.ack(key, entryId);
      this.handOver(() => node.receive(envelope), key, entryId);
    }
  }

  private hold(messageId: string, key: string, entryId: string): void {
    const receipt = this.receipts.get(messageId);
    if (!receipt) {
      this.receipts.set(messageId, { key, entries: [entryId] });
      this.stats.pending++;
    } else if (!receipt.entries.includes(entryId)) receipt.entries.push(entryId);
  }

  private handOver(deliver: () => void, key: string, entryId: string): void {
    try {
      deliver();
    } catch (error) {
      this.logger.error({ err: error, stream: key, entry: entryId }, 'the node refused an entry from its stream');
    }
  }
}
