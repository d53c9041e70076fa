import { randomUUID } from 'node:crypto';
import type { ConsoleAuthTokenRow, ConsoleRow, Models } from '../../models/index.js';
import type { ActorGateway } from '../../runtime/client.js';
import { clientOf } from '../../runtime/client.js';
import { consoleProtocol, consoleSessionId, type LiveSession } from '../../actors/console/index.js';
import { readRows } from '../../models/typed.js';
import type { Clock, Timer } from '../../runtime/clock.js';
import type { Logger } from 'pino';
import { sweepTokens } from '../../services/consoles/tokens.js';

// The console sessions this node holds: the sockets live here, so the registry is node-local, keyed by session id.
// Each session is a console actor pinned to this node (its id `<node>:<uuid>`), whose state is the session's row in
// `consoles` (server, node, since when, bytes each way, how it ended): opened when the session opens, closed when it
// ends; the actor reaches the sockets back through this registry (an operator's close). A watch closes sessions whose token expired (enforce_session_timeout), whose server was
// deleted or moved, and sweeps the token table.

export type EndReason = 'closed' | 'expired' | 'deleted' | 'moved' | 'operator' | 'refused' | 'stopped';

export interface Session {
  readonly id: string;
  readonly token: ConsoleAuthTokenRow;
  readonly protocol: 'vnc' | 'spice' | 'serial';
  readonly since: number;
  /** Connections carried (a SPICE session has one per channel). */
  connections: number;
  toGuest(): number;
  toClient(): number;
  buffered(): number;
  close(reason: EndReason): void;
}

export interface SessionSettings {
  readonly node: string;
  readonly enforceSessionTimeout: boolean;
  readonly sessionsPerToken: number;
  readonly sessionsPerServer: number;
  /** How often the watch runs. */
  readonly watchMs: number;
}

export class ConsoleSessions {
  private readonly open = new Map<string, Session>();
  private timer: Timer | undefined;
  private stopped = false;
  private bytes = { toGuest: 0, toClient: 0 };

  private readonly actor: ReturnType<typeof clientOf<typeof consoleProtocol.spec, { open: ConsoleRow; close: ConsoleRow }>>;

  constructor(
    private readonly models: Models,
    actors: ActorGateway,
    private readonly clock: Clock,
    private readonly logger: Logger,
    readonly settings: SessionSettings,
  ) {
    this.actor = clientOf<typeof consoleProtocol.spec, { open: ConsoleRow; close: ConsoleRow }>(consoleProtocol, actors);
  }

  start(): void {
    this.schedule();
  }

  list(): Session[] {
    return [...this.open.values()];
  }

  get(id: string): Session | undefined {
    return this.open.get(id);
  }

  /** An open session's sockets as its actor reaches them. */
  live(id: string): LiveSession | undefined {
    const s = this.open.get(id);
    return s && { toGuest: () => s.toGuest(), toClient: () => s.toClient(), close: (reason) => s.close(reason as EndReason) };
  }

  /** Bytes relayed by every session, ended ones included. */
  totals(): { toGuest: number; toClient: number } {
    let { toGuest, toClient } = this.bytes;
    for (const s of this.open.values()) {
      toGuest += s.toGuest();
      toClient += s.toClient();
    }
    return { toGuest, toClient };
  }

  buffered(): number {
    return this.list().reduce((sum, s) => sum + s.buffered(), 0);
  }

  /** Why a new session with this token may not open now (the caps), or undefined. */
  refusal(token: ConsoleAuthTokenRow): string | undefined {
    const sessions = this.list();
    if (sessions.filter((s) => s.token.id === token.id).length >= this.settings.sessionsPerToken) return 'too many sessions with this token';
    if (sessions.filter((s) => s.token.instance_uuid === token.instance_uuid).length >= this.settings.sessionsPerServer)
      return 'too many sessions to this server';
    return undefined;
  }

  /** A SPICE channel joins the open session of its token, if there is one. */
  joinable(token: ConsoleAuthTokenRow): Session | undefined {
    return this.list().find((s) => s.token.id === token.id && s.protocol === 'spice');
  }

  async add(s: Omit<Session, 'id' | 'since'>): Promise<Session> {
    const id = consoleSessionId(this.settings.node, randomUUID());
    const session: Session = { ...s, id, since: this.clock.now() };
    this.open.set(id, session);
    try {
      await this.actor(id).open({
        instance_uuid: s.token.instance_uuid,
        protocol: s.protocol,
        console_type: s.token.console_type,
        host: s.token.compute_host,
        port: s.token.port,
        expires_at: new Date(s.token.expires).getTime(),
        node: this.settings.node,
        token_id: s.token.id,
      });
    } catch (error) {
      this.open.delete(id);
      throw error;
    }
    return session;
  }

  /** Records a session's end (its sockets are closed by its own close). */
  async ended(session: Session, reason: EndReason): Promise<void> {
    if (!this.open.delete(session.id)) return;
    this.bytes.toGuest += session.toGuest();
    this.bytes.toClient += session.toClient();
    await this.actor(session.id)
      .close({ reason, bytes_to_guest: session.toGuest(), bytes_to_client: session.toClient() })
      .catch((error: unknown) => this.logger.warn({ err: error, session: session.id }, 'console session end not recorded'));
  }

  /** Closes every session (the node stops) and the watch. */
  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    for (const s of this.list()) s.close('stopped');
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.watch()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'console session watch failed'))
        .finally(() => this.schedule());
    }, this.settings.watchMs);
  }

  /** Ends the sessions whose token expired or whose server is gone or moved; sweeps the tokens. */
  async watch(): Promise<void> {
    const now = this.clock.now();
    const sessions = this.list();
    if (this.settings.enforceSessionTimeout) for (const s of sessions) if (new Date(s.token.expires).getTime() <= now) s.close('expired');
    const live = this.list();
    if (live.length) {
      const uuids = [...new Set(live.map((s) => s.token.instance_uuid))];
      const servers = new Map(
        (await readRows(this.models.Instance, { where: { uuid: uuids }, attributes: ['uuid', 'host', 'deleted_at'] })).map((r) => [r.uuid, r]),
      );
      for (const s of live) {
        const server = servers.get(s.token.instance_uuid);
        if (!server || server.deleted_at) s.close('deleted');
        else if (server.host !== s.token.compute_host) s.close('moved');
      }
    }
    await sweepTokens(this.models, now);
  }
}
