import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { Clock, Timer } from '../../runtime/clock.js';
import type { ChangeEvent } from '../../runtime/registry.js';
import { AdminError, adminOf, nodeView, type AdminServices } from '../admin/app.js';
import { clusterInventory, clusterTree, type ActorSearch } from '../admin/inventory.js';
import { clusterConsoles } from '../admin/consoles.js';
import { sameOrigin } from './session.js';

// The inspector's change stream: a WebSocket at `<path>/stream`. The page sends its token in its first message
// (never in the URL), then the view it shows (filters and the window of rows); every `batchMs` the server sends
// one batch with a sequence number: the nodes, counts per node, kind and status, the rows of that window only,
// and how many lifecycle changes happened since the last batch (with the latest few). However fast actors change,
// the page gets one bounded message per batch.

const AUTH_WAIT_MS = 10_000;
const MAX_MESSAGE = 16 * 1024;
const MAX_WINDOW = 200;
/** Events carried per batch at most; the rest are only counted. */
const EVENTS_PER_BATCH = 50;
/** A client this far behind (bytes queued) skips batches until it catches up. */
const MAX_BUFFERED = 1024 * 1024;
/** The token is checked again this often: an expired or revoked one ends the stream. */
const RECHECK_MS = 30_000;
const STATES = ['loading', 'ready', 'restarting', 'failed', 'stale', 'stopped', 'passivated'];
const NAME = /^[\x21-\x7e]{1,255}$/;
const SEARCH = /^[A-Za-z0-9 ._:-]{1,64}$/;

export interface StreamOptions {
  readonly path: string;
  readonly batchMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** A view the page asks for; refused (with a reason) when a field is not what it may be. */
function viewOf(message: Record<string, unknown>, hasKind: (k: string) => boolean): ActorSearch | string {
  const { kind, node, state, q, offset, limit } = message;
  if (kind !== undefined && (typeof kind !== 'string' || !hasKind(kind))) return 'unknown kind';
  if (node !== undefined && (typeof node !== 'string' || !NAME.test(node))) return 'invalid node';
  if (state !== undefined && (typeof state !== 'string' || !STATES.includes(state))) return 'invalid state';
  if (q !== undefined && (typeof q !== 'string' || !SEARCH.test(q))) return 'q must be 1 to 64 letters, digits, spaces or . _ : -';
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || offset > 10_000_000) return 'invalid offset';
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0 || limit > MAX_WINDOW) return `limit must be 0 to ${MAX_WINDOW}`;
  return {
    ...(kind ? { kind } : {}),
    ...(node ? { node } : {}),
    ...(state ? { state } : {}),
    ...(q ? { q: q.toLowerCase() } : {}),
    offset,
    limit,
  };
}

class Subscriber {
  seq = 0;
  private token = '';
  private view: ActorSearch = { offset: 0, limit: 50 };
  private changes = 0;
  private events: ChangeEvent[] = [];
  private timer: Timer | undefined;
  private checkedAt = 0;
  private unsubscribe: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly s: AdminServices,
    private readonly o: StreamOptions,
  ) {
    const authWait = o.clock.setTimeout(() => this.refuse(4401, 401, 'no token sent'), AUTH_WAIT_MS);
    ws.on('message', (data, isBinary) => {
      void this.onMessage(isBinary ? '' : Buffer.isBuffer(data) ? data.toString('utf8') : '').catch((error: unknown) =>
        o.logger.error({ err: error }, 'inspector stream message failed'),
      );
    });
    ws.on('close', () => {
      this.closed = true;
      o.clock.clearTimeout(authWait);
      o.clock.clearTimeout(this.timer);
      this.unsubscribe?.();
    });
    ws.once('message', () => o.clock.clearTimeout(authWait));
  }

  private send(message: unknown): void {
    if (!this.closed) this.ws.send(JSON.stringify(message));
  }

  private refuse(closeCode: number, code: number, message: string): void {
    this.send({ type: 'error', code, message });
    this.ws.close(closeCode, message.slice(0, 120));
  }

  private async onMessage(text: string): Promise<void> {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(text) as Record<string, unknown>;
      if (typeof message !== 'object' || message === null || Array.isArray(message)) throw new Error('not an object');
    } catch {
      return this.token
        ? this.send({ type: 'error', code: 400, message: 'messages are JSON objects' })
        : this.refuse(4400, 400, 'messages are JSON objects');
    }
    if (!this.token) {
      if (message.type !== 'auth' || typeof message.token !== 'string' || message.token.length > 8_192)
        return this.refuse(4401, 401, 'the first message must be {"type": "auth", "token": …}');
      try {
        const user = await adminOf(this.s.tokens, message.token);
        this.token = message.token;
        this.checkedAt = this.o.clock.now();
        this.send({ type: 'ready', user, batch_ms: this.o.batchMs });
        this.unsubscribe = this.s.operator.onChange((e) => this.onChange(e));
        this.schedule(0);
      } catch (error) {
        const status = error instanceof AdminError ? error.status : 500;
        this.refuse(4000 + status, status, error instanceof AdminError ? error.message : 'the token could not be checked');
      }
      return;
    }
    if (message.type === 'view') {
      const view = viewOf(message, (k) => this.s.operator.hasKind(k));
      if (typeof view === 'string') return this.send({ type: 'error', code: 400, message: view });
      this.view = view;
      // The page waits for its new window: it comes with the next batch, now rather than a whole interval later.
      this.o.clock.clearTimeout(this.timer);
      this.schedule(0);
      return;
    }
    this.send({ type: 'error', code: 400, message: `unknown message type` });
  }

  private onChange(event: ChangeEvent): void {
    this.changes++;
    this.events.push(event);
    if (this.events.length > EVENTS_PER_BATCH) this.events.splice(0, this.events.length - EVENTS_PER_BATCH);
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = this.o.clock.setTimeout(() => void this.batch(), ms);
  }

  private async batch(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.o.clock.now() - this.checkedAt >= RECHECK_MS) {
        try {
          await adminOf(this.s.tokens, this.token);
          this.checkedAt = this.o.clock.now();
        } catch (error) {
          const status = error instanceof AdminError ? error.status : 401;
          return this.refuse(4000 + status, status, 'the token is no longer valid');
        }
      }
      if (this.ws.bufferedAmount > MAX_BUFFERED) return;
      const deps = { operator: this.s.operator, cluster: this.s.cluster, models: this.s.models };
      const view = this.view;
      const [inventory, tree, consoles] = await Promise.all([
        clusterInventory(deps, view, this.token),
        clusterTree(deps, this.token),
        this.s.consoleSessions ? clusterConsoles(this.s.consoleSessions(), this.s.cluster, this.token) : undefined,
      ]);
      const changes = this.changes;
      const events = this.events;
      this.changes = 0;
      this.events = [];
      this.send({
        type: 'batch',
        seq: ++this.seq,
        at: new Date(this.o.clock.now()).toISOString(),
        changes,
        events: events.map((e) => ({
          event: e.event,
          kind: e.ref.kind,
          id: e.ref.id,
          node: e.node,
          at: e.at,
          ...(e.reason ? { reason: e.reason } : {}),
        })),
        nodes: tree.nodes.map((t) => ({ ...nodeView(t.node, this.s.cluster.self), ...(t.supervisors ? { supervisors: t.supervisors } : {}) })),
        passivated: tree.passivated,
        consoles: consoles?.consoles ?? null,
        view,
        total: inventory.total,
        counts: inventory.counts,
        actors: inventory.actors,
        unreachable_nodes: [...new Set([...inventory.unreachable_nodes, ...tree.unreachable_nodes, ...(consoles?.unreachable_nodes ?? [])])],
      });
    } catch (error) {
      this.o.logger.error({ err: error }, 'inspector batch failed');
    } finally {
      this.schedule(this.o.batchMs);
    }
  }
}

/** The stream's server: takes the upgrades of `<path>/stream` on the server it is attached to. */
export class InspectorStream {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE });
  private readonly subscribers = new Set<Subscriber>();

  constructor(
    private readonly s: AdminServices,
    private readonly o: StreamOptions,
  ) {}

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== `${this.o.path}/stream`) return;
      // A page of another site may open a WebSocket here with the operator's browser: its Origin says so.
      if (!sameOrigin(req.headers.origin, req.headers.host)) {
        const body = JSON.stringify({ error: { code: 403, title: 'Forbidden', message: 'Cross-origin WebSocket refused' } });
        socket.end(
          `HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const subscriber = new Subscriber(ws, this.s, this.o);
        this.subscribers.add(subscriber);
        ws.on('close', () => this.subscribers.delete(subscriber));
      });
    });
  }

  /** The highest sequence number sent to any page: what a page that applied everything shows. */
  lastSeq(): number {
    return Math.max(0, ...[...this.subscribers].map((s) => s.seq));
  }

  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }
}
