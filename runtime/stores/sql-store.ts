import { ConnectionError, DatabaseError, Op as Where, QueryTypes, Transaction, type Model, type ModelStatic, type Sequelize } from 'sequelize';
import type { Database } from '../../models/database.js';
import { readByPk, readRows } from '../../models/typed.js';
import { fromOutboxRow, inboxRow, toOutboxRow } from './sql-rows.js';
import { SqlScript, sqlLiteral, type SqliteConnection } from './sql-script.js';
import { behindSql } from './sql-order.js';
import type { Envelope } from '../envelope.js';
import { AlreadyHandledError, BrokenChainError, OutOfOrderError, StaleEpochError, StoreUnavailableError, type ErrorBody } from '../errors.js';
import { refKey, type ActorRef } from '../ref.js';
import type {
  Activated,
  ActorStore,
  CommitItem,
  CrashRecord,
  DeadLetter,
  DeadLetterRecord,
  FailedActor,
  KindTableSpec,
  StoreStats,
  StoredReply,
} from '../store.js';
import type { DeadLetterRow } from '../../models/runtime/dead-letter.js';

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

type Op =
  | ({ t: 'activate'; ref: ActorRef; node: string } & Waiter<Activated>)
  | ({ t: 'commit'; item: CommitItem } & Waiter<void>)
  | ({ t: 'enqueue'; envelopes: readonly Envelope[] } & Waiter<void>)
  | ({ t: 'deadLetter'; letter: DeadLetter } & Waiter<void>)
  | ({ t: 'ack'; id: string } & Waiter<void>)
  | ({ t: 'clearFailure'; ref: ActorRef } & Waiter<void>)
  | ({ t: 'crash'; crash: CrashRecord } & Waiter<void>)
  | ({ t: 'prune'; before: number } & Waiter<number>);

type OpInput = Op extends infer O ? (O extends Op ? Omit<O, 'resolve' | 'reject'> : never) : never;

interface KindTable {
  model: ModelStatic<Model>;
  name: string;
  key: string;
  columns: string[];
  defaults: Record<string, unknown>;
  shared: readonly string[];
}

const INTERNED_MAX = 100_000;
/** Names of the SQLite connections stores run their one-round-trip transactions on: each store keeps its own. */
let storeConnections = 0;

// Sequelize's typings leave out the SQLite connection manager's calls; these are the ones the store uses.
interface SqliteManager {
  getConnection(options: { uuid: string; type: 'SQLITE' }): Promise<SqliteConnection & { uuid?: string }>;
  releaseConnection(connection: SqliteConnection): void;
}

export interface SqlStoreOptions {
  /** Most operations in one group commit. */
  maxBatch: number;
  /** Crashes kept per actor. */
  crashHistory: number;
  now(): number;
}

/**
 * The store on a SQL database. Every write goes through one queue: while a transaction is
 * in flight the next writes gather, and the next transaction applies them all with
 * multi-row statements (group commit). A batch that fails is retried one operation at a
 * time, so one bad write cannot take others down with it.
 */
export class SqlStore implements ActorStore {
  readonly stats: StoreStats = { transactions: 0, operations: 0, lastBatch: 0, maxBatch: 0, staleWrites: 0, busyMs: 0 };
  private readonly sequelize: Sequelize;
  private readonly kinds = new Map<string, KindTable>();
  /** Tables of the models kinds record rows of, by model name. */
  private readonly recordTables = new Map<string, { name: string; key: string }>();
  private readonly interned = new Map<string, string>();
  /** Activations (ref → epoch) with a failed commit: their later commits are refused. */
  private readonly broken = new Map<string, number>();
  private queue: Op[] = [];
  private flushing = false;
  private closed = false;
  private connection: Promise<SqliteConnection & { uuid?: string }> | undefined;

  private readonly messageTables: Record<'inbox' | 'outbox' | 'deadLetters', { name: string; columns: string[] }>;

  constructor(
    private readonly db: Database,
    private readonly options: SqlStoreOptions,
  ) {
    this.sequelize = db.sequelize;
    const { Inbox, Outbox, DeadLetter } = db.models;
    // Every column but an auto-increment one (the outbox's seq, which keeps send order).
    const layout = (model: ModelStatic<Model>) => ({
      name: model.getTableName() as string,
      columns: Object.entries(model.getAttributes())
        .filter(([, a]) => !a.autoIncrement)
        .map(([c]) => c),
    });
    this.messageTables = { inbox: layout(Inbox), outbox: layout(Outbox), deadLetters: layout(DeadLetter) };
  }

  registerKind(kind: string, spec: KindTableSpec): void {
    const model = this.sequelize.model(spec.model);
    const attributes = model.getAttributes();
    const columns = Object.keys(attributes).filter((c) => c !== spec.key);
    const defaults = Object.fromEntries(
      Object.entries(attributes)
        .filter(([, a]) => a.defaultValue !== undefined && typeof a.defaultValue !== 'function' && typeof a.defaultValue !== 'object')
        .map(([c, a]) => [c, a.defaultValue]),
    );
    this.kinds.set(kind, { model, name: model.getTableName() as string, key: spec.key, columns, defaults, shared: spec.shared ?? [] });
    for (const name of spec.records ?? []) {
      const recorded = this.sequelize.model(name);
      const key = recorded.primaryKeyAttributes;
      if (key.length !== 1) throw new Error(`recorded model '${name}' needs a single-column primary key`);
      this.recordTables.set(name, { name: recorded.getTableName() as string, key: key[0] });
    }
  }

  activate(ref: ActorRef, node: string): Promise<Activated> {
    return this.push({ t: 'activate', ref, node });
  }
  commit(item: CommitItem): Promise<void> {
    return this.push({ t: 'commit', item });
  }
  enqueue(envelopes: readonly Envelope[]): Promise<void> {
    return this.push({ t: 'enqueue', envelopes });
  }
  deadLetter(letter: DeadLetter): Promise<void> {
    return this.push({ t: 'deadLetter', letter });
  }
  acknowledge(id: string): Promise<void> {
    return this.push({ t: 'ack', id });
  }
  clearFailure(ref: ActorRef): Promise<void> {
    return this.push({ t: 'clearFailure', ref });
  }
  recordCrash(crash: CrashRecord): Promise<void> {
    return this.push({ t: 'crash', crash });
  }
  pruneInbox(before: number): Promise<number> {
    return this.push({ t: 'prune', before });
  }

  async lookupInbox(messageId: string): Promise<StoredReply | undefined> {
    const row = await readByPk(this.db.models.Inbox, messageId).catch((error: unknown) => {
      throw unavailable(error);
    });
    if (!row) return undefined;
    // The reply as it was stored: a handler's value, or the error body of a failure.
    const body: unknown = row.reply === null ? undefined : JSON.parse(row.reply);
    return row.ok ? { ok: true, value: body } : { ok: false, error: body as ErrorBody | undefined };
  }

  async pendingOutbox(): Promise<Envelope[]> {
    const rows = await readRows(this.db.models.Outbox, { order: [['seq', 'ASC']] });
    return rows.map(fromOutboxRow);
  }

  async outboxFor(ref: ActorRef): Promise<Envelope[]> {
    const rows = await readRows(this.db.models.Outbox, {
      where: { to_kind: ref.kind, to_id: ref.id },
      order: [['seq', 'ASC']],
    }).catch((error: unknown) => {
      throw unavailable(error);
    });
    return rows.map(fromOutboxRow);
  }

  async overdueOutbox(before: number, afterSeq: number, limit: number): Promise<Array<{ seq: number; envelope: Envelope }>> {
    const at = new Date(before);
    // A delayed message is overdue counted from its due time, not from when it was sent.
    const rows = await readRows(this.db.models.Outbox, {
      where: {
        seq: { [Where.gt]: afterSeq },
        [Where.or]: [{ deliver_at: null, created_at: { [Where.lt]: at } }, { deliver_at: { [Where.lt]: at } }],
      },
      order: [['seq', 'ASC']],
      limit,
    });
    return rows.map((row) => ({ seq: Number(row.seq), envelope: fromOutboxRow(row) }));
  }

  async listDeadLetters(query: { kind?: string; id?: string; limit: number }): Promise<DeadLetterRecord[]> {
    const where = { ...(query.kind ? { to_kind: query.kind } : {}), ...(query.id ? { to_id: query.id } : {}) };
    const rows = await readRows(this.db.models.DeadLetter, {
      where,
      order: [
        ['created_at', 'DESC'],
        ['id', 'ASC'],
      ],
      limit: query.limit,
    });
    return rows.map(deadLetterRecord);
  }

  async requeueDeadLetter(id: string): Promise<Envelope | undefined> {
    const type = this.db.dialect === 'sqlite' ? Transaction.TYPES.IMMEDIATE : undefined;
    return this.sequelize.transaction({ type }, async (transaction) => {
      const row = await readByPk(this.db.models.DeadLetter, id, { transaction });
      if (!row) return undefined;
      const envelope: Envelope = {
        id,
        to: { kind: row.to_kind, id: row.to_id },
        type: row.type,
        payload: JSON.parse(row.payload),
        durable: true,
        ...(row.correlation_id ? { correlationId: row.correlation_id } : {}),
      };
      await this.db.models.DeadLetter.destroy({ where: { id }, transaction });
      // Its inbox row holds the dead-letter reply: gone, the message is handled again under its own id, and once
      // handled the inbox refuses any late copy of it, as for any message.
      await this.db.models.Inbox.destroy({ where: { id }, transaction });
      await this.db.models.Outbox.create(toOutboxRow(envelope, new Date(this.options.now())), { transaction });
      return envelope;
    });
  }

  async dropDeadLetter(id: string): Promise<boolean> {
    return (await this.db.models.DeadLetter.destroy({ where: { id } })) > 0;
  }

  async failedActors(limit: number): Promise<FailedActor[]> {
    const rows = await readRows(this.db.models.ActorRecord, {
      where: { status: 'failed' },
      order: [
        ['kind', 'ASC'],
        ['id', 'ASC'],
      ],
      limit,
    });
    return rows.map((r) => ({
      ref: { kind: r.kind, id: r.id },
      reason: r.failure_reason ?? 'failed',
      at: r.failed_at ? new Date(r.failed_at).getTime() : null,
      node: r.node,
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing || this.queue.length) await new Promise((r) => setTimeout(r, 5));
    const connection = await this.connection?.catch(() => undefined);
    if (connection) (this.sequelize.connectionManager as unknown as SqliteManager).releaseConnection(connection);
    this.connection = undefined;
  }

  private push<T>(op: OpInput): Promise<T> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ ...op, resolve, reject } as Op);
      this.kick();
    });
  }

  private kick(): void {
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    // Start on the next turn so writes issued together land in one transaction.
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, this.options.maxBatch);
    const started = performance.now();
    let results: unknown[];
    try {
      results = await this.run(batch);
    } catch (error) {
      // A lost connection says nothing about any one write: one at a time they would only fail again, each in turn.
      if (isConnectionLoss(error)) results = batch.map(() => new StoreUnavailableError(error));
      else results = batch.length === 1 ? [error] : await this.runOneByOne(batch);
    }
    this.stats.busyMs += performance.now() - started;
    this.stats.transactions++;
    this.stats.operations += batch.length;
    this.stats.lastBatch = batch.length;
    this.stats.maxBatch = Math.max(this.stats.maxBatch, batch.length);
    batch.forEach((op, i) => {
      if (op.t !== 'commit' || !(results[i] instanceof Error)) return;
      this.breakChain(op.item);
      if (results[i] instanceof StaleEpochError) this.stats.staleWrites++;
    });
    batch.forEach((op, i) => {
      const result = results[i];
      if (result instanceof Error) op.reject(result);
      else (op.resolve as (v: unknown) => void)(result);
    });
    this.flushing = false;
    this.kick();
  }

  private async runOneByOne(batch: Op[]): Promise<unknown[]> {
    const results: unknown[] = [];
    for (const op of batch) {
      // A commit after a failed one of the same activation must not apply without it.
      if (op.t === 'commit' && this.isBroken(op.item)) {
        results.push(new BrokenChainError(refKey(op.item.ref)));
        continue;
      }
      try {
        results.push(...(await this.run([op])));
      } catch (error) {
        results.push(unavailable(error));
      }
      if (op.t === 'commit' && results[results.length - 1] instanceof Error) this.breakChain(op.item);
    }
    return results;
  }

  private breakChain(item: CommitItem): void {
    this.broken.set(refKey(item.ref), item.epoch);
  }
  private isBroken(item: CommitItem): boolean {
    return this.broken.size > 0 && this.broken.get(refKey(item.ref)) === item.epoch;
  }

  /** Applies a batch in one transaction; returns each operation's result or its own error. */
  private async run(batch: Op[]): Promise<unknown[]> {
    const results: unknown[] = new Array(batch.length).fill(undefined);
    if (this.guardable(batch) && (await this.runGuarded(batch))) return results;
    const now = new Date(this.options.now());
    // On SQLite the write lock is taken up front, so the epoch check and the writes see one state
    // even when another node writes the same file.
    const type = this.db.dialect === 'sqlite' ? Transaction.TYPES.IMMEDIATE : undefined;
    await this.sequelize.transaction({ type }, async (transaction) => {
      const commits = await this.fence(batch, results, now, transaction);
      // States, inbox and outbox go to the database in one script: one round trip however many actors committed.
      const script = new SqlScript(this.db.dialect);
      this.writeStates(commits, script);
      this.writeRecords(commits, script);
      // A message handled elsewhere meanwhile is not dead-lettered here: its first handling stands.
      const letters = batch.flatMap((op) => (op.t === 'deadLetter' ? [String(op.letter.envelope.id)] : []));
      this.writeMessages(batch, commits, await this.handledAlready(letters, transaction), now, script);
      await script.run(this.sequelize, transaction);
      await this.writeFailures(batch, commits, now, transaction);
      await this.writeCrashes(batch, transaction);
      await this.pruneAll(batch, results, transaction);
      await this.activateAll(batch, results, now, transaction);
    });
    return results;
  }

  /**
   * The common batch: handled messages with their states, records and sends, messages from outside, acknowledgements.
   * Anything else (activations, failures, crashes, dead letters, pruning) reads before it writes.
   */
  private guardable(batch: Op[]): boolean {
    if (this.db.dialect === 'sqlite' && (this.sequelize as unknown as { options: { storage?: string } }).options.storage === ':memory:') return false;
    return batch.every(
      (op) => op.t === 'enqueue' || op.t === 'ack' || (op.t === 'commit' && op.item.failure === undefined && !this.isBroken(op.item)),
    );
  }

  /**
   * The batch in one round trip, its fence checked by the script itself: every epoch still the actor's and no
   * message handled already, or nothing is written. False when the fence (or a write) refused it: the transaction
   * with reads then finds which operation it was. Each round trip saved is a wait on a loaded event loop.
   */
  private async runGuarded(batch: Op[]): Promise<boolean> {
    const commits = batch.flatMap((op) => (op.t === 'commit' ? [op.item] : []));
    const script = new SqlScript(this.db.dialect);
    const now = new Date(this.options.now());
    this.requireFence(commits, script);
    const handled = commits.flatMap((c) => (c.handled ? [c.handled.id] : []));
    if (handled.length) script.require(`NOT EXISTS (${behindSql(this.db.dialect, this.orderTables, handled, handled, now)})`);
    this.writeStates(commits, script);
    this.writeRecords(commits, script);
    this.writeMessages(batch, commits, new Set(), now, script);
    try {
      await script.runAlone(this.sequelize, this.db.dialect === 'sqlite' ? await this.ownConnection() : undefined);
      return true;
    } catch (error) {
      // Whether a lost connection's transaction landed is unknown: the writers hear so, as from the other path.
      if (isConnectionLoss(error)) throw error;
      return false;
    }
  }

  /** The fence as conditions the script checks first, under the actors' row locks on PostgreSQL (SQLite's write lock is taken up front). */
  private requireFence(commits: CommitItem[], script: SqlScript): void {
    if (commits.length === 0) return;
    const value = (v: unknown) => sqlLiteral(this.db.dialect, v);
    const epochs = new Set(commits.map((c) => `(${value(c.ref.kind)}, ${value(c.ref.id)}, ${value(c.epoch)})`));
    const lock = this.db.dialect === 'postgres' ? ' FOR UPDATE' : '';
    // Two epochs of one actor in the batch cannot both be current: the count falls short.
    script.require(
      `(SELECT count(*) FROM (SELECT 1 FROM actor_records WHERE (kind, id, epoch) IN (VALUES ${[...epochs].join(', ')})${lock}) fenced) = ${epochs.size}`,
    );
    const handled = commits.flatMap((c) => (c.handled ? [value(c.handled.id)] : []));
    if (handled.length) script.require(`NOT EXISTS (SELECT 1 FROM ${this.messageTables.inbox.name} WHERE id IN (${handled.join(', ')}))`);
  }

  private ownConnection(): Promise<SqliteConnection> {
    if (this.connection) return this.connection;
    const manager = this.sequelize.connectionManager as unknown as SqliteManager;
    const uuid = `actor-store-${++storeConnections}`;
    this.connection = manager.getConnection({ uuid, type: 'SQLITE' }).then(
      (connection) => Object.assign(connection, { uuid }),
      (error: unknown) => {
        this.connection = undefined;
        throw error;
      },
    );
    return this.connection;
  }

  /** Drops commits whose epoch is no longer the actor's, marking them refused. */
  private async fence(batch: Op[], results: unknown[], now: Date, transaction: Transaction): Promise<CommitItem[]> {
    const indexes = batch.flatMap((op, i) => (op.t === 'commit' ? [i] : []));
    if (indexes.length === 0) return [];
    const items = indexes.map((i) => (batch[i] as Extract<Op, { t: 'commit' }>).item);
    const lock = this.db.dialect === 'postgres' ? ' FOR UPDATE' : '';
    const rows = await this.sequelize.query<{ kind: string; id: string; epoch: number }>(
      `SELECT kind, id, epoch FROM actor_records WHERE (kind, id) IN (VALUES ${items.map(() => '(?, ?)').join(', ')})${lock}`,
      { replacements: items.flatMap((item) => [item.ref.kind, item.ref.id]), type: QueryTypes.SELECT, transaction },
    );
    const epochs = new Map(rows.map((r) => [`${r.kind}/${r.id}`, Number(r.epoch)]));
    // Read under the actors' row locks, so no other node's commit of these messages can land in between.
    const handled = await this.handledAlready(
      items.flatMap((item) => (item.handled ? [item.handled.id] : [])),
      transaction,
    );
    const behind = await this.behind(batch, now, transaction);
    const live: CommitItem[] = [];
    // A commit after a refused one of the same activation in this batch would apply without it.
    const refused = new Set<string>();
    indexes.forEach((i, n) => {
      const item = items[n];
      const key = refKey(item.ref);
      if (epochs.get(key) !== item.epoch) results[i] = new StaleEpochError(key);
      else if (this.isBroken(item) || refused.has(key)) results[i] = new BrokenChainError(key);
      else if (item.handled && handled.has(item.handled.id)) results[i] = new AlreadyHandledError(item.handled.id);
      else if (item.handled && behind.has(item.handled.id)) results[i] = new OutOfOrderError(key);
      else live.push(item);
      if (results[i]) refused.add(key);
    });
    return live;
  }

  /** The ids of the messages handled in this batch that an earlier message to their actor, still pending, must go before. */
  private async behind(batch: Op[], now: Date, transaction: Transaction): Promise<Set<string>> {
    const handled = batch.flatMap((op) => (op.t === 'commit' && op.item.handled ? [op.item.handled.id] : []));
    if (handled.length === 0) return new Set();
    const letters = batch.flatMap((op) => (op.t === 'deadLetter' ? [String(op.letter.envelope.id)] : []));
    const sql = behindSql(this.db.dialect, this.orderTables, handled, [...handled, ...letters], now);
    const rows = await this.sequelize.query<{ id: string }>(sql, { type: QueryTypes.SELECT, transaction });
    return new Set(rows.map((r) => String(r.id)));
  }

  private get orderTables() {
    return { outbox: this.messageTables.outbox.name };
  }

  /** Which of these message ids the inbox holds. */
  private async handledAlready(ids: string[], transaction: Transaction): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const { inbox } = this.messageTables;
    const rows = await this.sequelize.query<{ id: string }>(`SELECT id FROM ${inbox.name} WHERE id IN (${ids.map(() => '?').join(', ')})`, {
      replacements: ids,
      type: QueryTypes.SELECT,
      transaction,
    });
    return new Set(rows.map((r) => String(r.id)));
  }

  private writeStates(commits: CommitItem[], script: SqlScript): void {
    // An actor may commit more than once in a batch (pipelining): its last state is the one written.
    const byKind = new Map<string, Map<string, object | null>>();
    for (const item of commits) {
      if (item.state === undefined) continue;
      let finals = byKind.get(item.ref.kind);
      if (!finals) byKind.set(item.ref.kind, (finals = new Map<string, object | null>()));
      finals.set(item.ref.id, item.state);
    }
    for (const [kind, finals] of byKind) {
      const table = this.table(kind);
      const upserts: object[] = [];
      const deletes: string[] = [];
      for (const [id, state] of finals) {
        if (state === null) deletes.push(id);
        else upserts.push(state);
      }
      script.upsert(table.name, table.key, table.columns, upserts, table.defaults);
      script.deleteWhereIn(table.name, table.key, deletes);
    }
  }

  /**
   * Recorded rows, merged per primary key in commit order (a multi-row upsert may not touch one row
   * twice), then written one statement per table and set of columns given.
   */
  private writeRecords(commits: CommitItem[], script: SqlScript): void {
    const byTable = new Map<string, Map<unknown, Record<string, unknown>>>();
    for (const item of commits) {
      for (const { model, row } of item.records ?? []) {
        const table = this.recordTables.get(model);
        if (!table) throw new Error(`no recorded model '${model}' registered`);
        let rows = byTable.get(model);
        if (!rows) byTable.set(model, (rows = new Map<unknown, Record<string, unknown>>()));
        const id = row[table.key];
        rows.set(id, { ...rows.get(id), ...row });
      }
    }
    for (const [model, rows] of byTable) {
      const table = this.recordTables.get(model)!;
      const shapes = new Map<string, Record<string, unknown>[]>();
      for (const row of rows.values()) {
        const shape = Object.keys(row)
          .filter((c) => c !== table.key)
          .sort()
          .join(',');
        shapes.set(shape, [...(shapes.get(shape) ?? []), row]);
      }
      for (const [shape, same] of shapes) script.upsert(table.name, table.key, shape ? shape.split(',') : [], same);
    }
  }

  private writeMessages(batch: Op[], commits: CommitItem[], handledElsewhere: Set<string>, now: Date, script: SqlScript): void {
    const live = new Set(commits);
    const inbox: object[] = [];
    const handledIds: string[] = [];
    const sends: Envelope[] = [];
    const letters: object[] = [];
    for (const op of batch) {
      if (op.t === 'commit' && live.has(op.item)) {
        const { item } = op;
        if (item.handled) {
          handledIds.push(item.handled.id);
          inbox.push(inboxRow(item.handled.id, item.ref, item.handled.reply, now));
        }
        if (item.sends) sends.push(...item.sends);
      } else if (op.t === 'ack') {
        handledIds.push(op.id);
      } else if (op.t === 'enqueue') {
        sends.push(...op.envelopes);
      } else if (op.t === 'deadLetter') {
        const { envelope, reason, stack, attempts } = op.letter;
        const id = String(envelope.id);
        handledIds.push(id);
        if (handledElsewhere.has(id)) continue;
        const error = { code: 'dead_letter', message: `message dead-lettered: ${reason}` };
        inbox.push(inboxRow(id, envelope.to, { ok: false, error }, now));
        const row = toOutboxRow(envelope, now);
        letters.push({
          id,
          to_kind: row.to_kind,
          to_id: row.to_id,
          type: row.type,
          payload: row.payload,
          reason,
          stack: stack ?? null,
          attempts,
          correlation_id: row.correlation_id,
          created_at: now,
        });
      }
    }
    const { deadLetters, inbox: inboxTable, outbox } = this.messageTables;
    script.insert(deadLetters.name, deadLetters.columns, letters, { ignoreDuplicates: true });
    script.insert(inboxTable.name, inboxTable.columns, inbox);
    script.deleteWhereIn(outbox.name, 'id', handledIds);
    script.insert(
      outbox.name,
      outbox.columns,
      sends.map((e) => toOutboxRow(e, now)),
    );
  }

  private async writeFailures(batch: Op[], commits: CommitItem[], now: Date, transaction: Transaction): Promise<void> {
    for (const item of commits) {
      if (item.failure === undefined) continue;
      await this.sequelize.query('UPDATE actor_records SET status = ?, failure_reason = ?, failed_at = ?, updated_at = ? WHERE kind = ? AND id = ?', {
        replacements: ['failed', item.failure, now, now, item.ref.kind, item.ref.id],
        transaction,
      });
    }
    for (const op of batch) {
      if (op.t !== 'clearFailure') continue;
      await this.sequelize.query(
        'UPDATE actor_records SET status = ?, failure_reason = NULL, failed_at = NULL, updated_at = ? WHERE kind = ? AND id = ?',
        { replacements: ['ok', now, op.ref.kind, op.ref.id], transaction },
      );
    }
  }

  private async writeCrashes(batch: Op[], transaction: Transaction): Promise<void> {
    const crashes = batch.flatMap((op) => (op.t === 'crash' ? [op.crash] : []));
    if (crashes.length === 0) return;
    await this.db.models.ActorCrash.bulkCreate(
      crashes.map((c) => ({
        kind: c.ref.kind,
        actor_id: c.ref.id,
        reason: c.reason,
        stack: c.stack ?? null,
        message_type: c.messageType ?? null,
        message_id: c.messageId ?? null,
        at: new Date(c.at),
      })),
      { transaction, validate: false, hooks: false },
    );
    const actors = new Map(crashes.map((c) => [refKey(c.ref), c.ref]));
    for (const r of actors.values()) {
      await this.sequelize.query(
        `DELETE FROM actor_crashes WHERE kind = ? AND actor_id = ? AND seq NOT IN
           (SELECT seq FROM actor_crashes WHERE kind = ? AND actor_id = ? ORDER BY seq DESC LIMIT ?)`,
        { replacements: [r.kind, r.id, r.kind, r.id, this.options.crashHistory], transaction },
      );
    }
  }

  /** Forgets handled message ids older than the retention: no outbox can hold them any more. */
  private async pruneAll(batch: Op[], results: unknown[], transaction: Transaction): Promise<void> {
    for (const [i, op] of batch.entries()) {
      if (op.t !== 'prune') continue;
      results[i] = await this.db.models.Inbox.destroy({ where: { handled_at: { [Where.lt]: new Date(op.before) } }, transaction });
    }
  }

  /** Bumps each activated actor's epoch and loads its row, after this batch's writes. */
  private async activateAll(batch: Op[], results: unknown[], now: Date, transaction: Transaction): Promise<void> {
    const indexes = batch.flatMap((op, i) => (op.t === 'activate' ? [i] : []));
    if (indexes.length === 0) return;
    const byKey = new Map<string, { ref: ActorRef; node: string }>();
    for (const i of indexes) {
      const op = batch[i] as Extract<Op, { t: 'activate' }>;
      byKey.set(refKey(op.ref), { ref: op.ref, node: op.node });
      // A new epoch starts a new chain; the broken one's commits are fenced by their epoch.
      this.broken.delete(refKey(op.ref));
    }
    const refs = [...byKey.values()];
    const value = (v: unknown) => sqlLiteral(this.db.dialect, v);
    const values = refs.map((a) => `(${value(a.ref.kind)}, ${value(a.ref.id)}, 1, 'ok', ${value(a.node)}, ${value(now)})`);
    const records = await SqlScript.rows<{ kind: string; id: string; epoch: number; status: string; failure_reason: string | null }>(
      this.db.dialect,
      this.sequelize,
      transaction,
      `INSERT INTO actor_records (kind, id, epoch, status, node, updated_at) VALUES ${values.join(', ')}
       ON CONFLICT (kind, id) DO UPDATE SET epoch = actor_records.epoch + 1, node = excluded.node, updated_at = excluded.updated_at
       RETURNING kind, id, epoch, status, failure_reason`,
    );
    const states = new Map<string, object>();
    const idsByKind = new Map<string, string[]>();
    for (const a of refs) idsByKind.set(a.ref.kind, [...(idsByKind.get(a.ref.kind) ?? []), a.ref.id]);
    for (const [kind, ids] of idsByKind) {
      const table = this.table(kind);
      const rows = await table.model.findAll({ where: { [table.key]: ids }, transaction });
      for (const row of rows) {
        const state = this.compact(table, row.get({ plain: true }) as Record<string, unknown>);
        states.set(`${kind}/${String(state[table.key])}`, state);
      }
    }
    const activated = new Map(records.map((r) => [`${r.kind}/${r.id}`, r]));
    for (const i of indexes) {
      const { ref } = batch[i] as Extract<Op, { t: 'activate' }>;
      const key = refKey(ref);
      const record = activated.get(key)!;
      const state = states.get(key) as Record<string, unknown> | undefined;
      // The row's key is the actor's id: keep one copy of that string, not two.
      if (state) state[this.table(ref.kind).key] = ref.id;
      results[i] = {
        epoch: Number(record.epoch),
        state: state ?? null,
        ...(record.status === 'failed' ? { failure: record.failure_reason ?? 'failed' } : {}),
      } satisfies Activated;
    }
  }

  /**
   * Sequelize hands rows over as dictionary-mode objects (about 2.5 KB for an instance); a
   * spread copy is a fast-properties object of half that, and repeated values are shared.
   */
  private compact(table: KindTable, plain: Record<string, unknown>): Record<string, unknown> {
    const state = { ...plain };
    for (const column of table.shared) {
      const value = state[column];
      if (typeof value !== 'string') continue;
      const known = this.interned.get(value);
      if (known !== undefined) state[column] = known;
      else {
        if (this.interned.size >= INTERNED_MAX) this.interned.clear();
        this.interned.set(value, value);
      }
    }
    return state;
  }

  private table(kind: string): KindTable {
    const table = this.kinds.get(kind);
    if (!table) throw new Error(`no model registered for actor kind '${kind}'`);
    return table;
  }
}

/**
 * The database refused the connection, is starting up or shutting down, ended the session, or the connection
 * broke: the same writes may succeed once it is back. (SQLite's busy file is not this: it has its own timeout.)
 */
function isConnectionLoss(error: unknown): boolean {
  if (error instanceof StoreUnavailableError || error instanceof ConnectionError) return true;
  if (!(error instanceof DatabaseError)) return false;
  const parent = error.parent as Error & { code?: unknown };
  // SQLSTATE class 08 (connection exception) and 57P (operator intervention: shutdown, crash, not yet accepting).
  if (typeof parent.code === 'string' && /^(08|57P)/.test(parent.code)) return true;
  return /Connection terminated|not queryable|ECONNRESET|ECONNREFUSED|EPIPE/.test(parent.message);
}

/** A connection loss as StoreUnavailableError (retried by the actor without counting as a crash); others as they are. */
function unavailable(error: unknown): unknown {
  return error instanceof StoreUnavailableError || !isConnectionLoss(error) ? error : new StoreUnavailableError(error);
}

function deadLetterRecord(row: DeadLetterRow): DeadLetterRecord {
  let payload: unknown;
  try {
    payload = JSON.parse(row.payload);
  } catch {
    payload = row.payload;
  }
  return {
    id: row.id,
    to: { kind: row.to_kind, id: row.to_id },
    type: row.type,
    payload,
    reason: row.reason,
    attempts: row.attempts,
    ...(row.correlation_id ? { correlationId: row.correlation_id } : {}),
    at: new Date(row.created_at).getTime(),
  };
}
