import type { Redis } from 'ioredis';
import type { Clock, Timer } from '../clock.js';
import type { Logger } from '../logger.js';
import { isNoGroup } from './redis-connection.js';

export type StreamEntry = [id: string, fields: string[] | null];

export interface ReaderOptions {
  readonly key: string;
  readonly group: string;
  readonly consumer: string;
  readonly readCount: number;
  readonly blockMs: number;
  readonly redeliverAfterMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Entries read; `redelivered` when they had been delivered before and were never acknowledged. */
  readonly take: (entries: StreamEntry[], redelivered: boolean) => void;
}

const RETRY_MS = 200;
// A reclaim pass stops after this many pages, so one huge backlog cannot hold the connection.
const RECLAIM_PAGES = 20;

/**
 * Reads one node's stream through its consumer group: new entries with a blocking XREADGROUP on a connection
 * of its own, and entries left unacknowledged past `redeliverAfterMs` with XAUTOCLAIM on the control one. If
 * the group is gone (Redis restarted without its data, or the stream was deleted) it is created again.
 */
export class StreamReader {
  private running = false;
  private groupReady = false;
  private reclaimer: Timer | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly options: ReaderOptions,
    private readonly reader: Redis,
    private readonly control: Redis,
  ) {}

  /** Creates the group, hands over what an earlier incarnation left unacknowledged, then reads on. */
  async start(): Promise<void> {
    this.running = true;
    await this.ensureGroup();
    await this.readOwnPending();
    this.loop = this.read();
    this.scheduleReclaim();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.options.clock.clearTimeout(this.reclaimer);
    // Disconnecting fails the blocked read at once instead of waiting out its BLOCK.
    this.reader.disconnect();
    await this.loop;
  }

  private async ensureGroup(): Promise<void> {
    const { key, group } = this.options;
    try {
      // From id 0: entries written while the group did not exist (after Redis lost it) are read too.
      await this.reader.xgroup('CREATE', key, group, '0', 'MKSTREAM');
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
    }
    this.groupReady = true;
  }

  private async readOwnPending(): Promise<void> {
    const { key, group, consumer, readCount } = this.options;
    let after = '0';
    for (;;) {
      const reply = await this.reader.xreadgroup('GROUP', group, consumer, 'COUNT', readCount, 'STREAMS', key, after);
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) return;
      this.options.take(entries, true);
      after = entries[entries.length - 1][0];
    }
  }

  private async read(): Promise<void> {
    const { key, group, consumer, readCount, blockMs, logger } = this.options;
    while (this.running) {
      try {
        if (!this.groupReady) await this.ensureGroup();
        const reply = await this.reader.xreadgroup('GROUP', group, consumer, 'COUNT', readCount, 'BLOCK', blockMs, 'STREAMS', key, '>');
        if (reply) for (const [, entries] of reply) this.options.take(entries, false);
      } catch (error) {
        if (!this.running) return;
        if (isNoGroup(error)) {
          logger.warn({ stream: key }, 'the consumer group is gone (Redis lost its data?): creating it again');
          this.groupReady = false;
          continue;
        }
        logger.warn({ err: error, stream: key }, 'reading the node stream failed; retrying');
        this.groupReady = false;
        await this.options.clock.sleep(RETRY_MS);
      }
    }
  }

  private scheduleReclaim(): void {
    if (!this.running) return;
    const every = Math.max(10, Math.floor(this.options.redeliverAfterMs / 4));
    this.reclaimer = this.options.clock.setTimeout(() => {
      this.reclaim()
        .catch((error: unknown) => {
          if (!isNoGroup(error)) this.options.logger.debug({ err: error, stream: this.options.key }, 'reclaim failed; next pass retries');
        })
        .finally(() => this.scheduleReclaim());
    }, every);
  }

  /** Entries delivered but not acknowledged within `redeliverAfterMs` go round again, marked redelivered. */
  private async reclaim(): Promise<void> {
    const { key, group, consumer, readCount, redeliverAfterMs } = this.options;
    if (this.control.status !== 'ready') return;
    let cursor = '0-0';
    for (let page = 0; page < RECLAIM_PAGES && this.running; page++) {
      const [next, entries] = (await this.control.xautoclaim(key, group, consumer, redeliverAfterMs, cursor, 'COUNT', readCount)) as [
        string,
        StreamEntry[],
      ];
      if (entries.length) this.options.take(entries, true);
      if (next === '0-0') return;
      cursor = next;
    }
  }
}
