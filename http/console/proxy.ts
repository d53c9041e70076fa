import { createServer as createHttpServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ConsoleAuthTokenRow, Models } from '../../models/index.js';
import type { Clock } from '../../runtime/clock.js';
import { validToken, type ConsoleType } from '../../services/consoles/tokens.js';
import { ByteQueue } from './byte-queue.js';
import type { FailedTokens } from './failed-tokens.js';
import { doubleSlash, originAllowed } from './origin.js';
import { relay, type RelayCounters } from './relay.js';
import { clientRefusal, clientSecurityNone, clientVersion, guestHandshake, type RfbEnd } from './rfb-security.js';
import type { ConsoleSessions, EndReason, Session } from './sessions.js';
import { serveFile } from './static-files.js';
import { VNC_PAGE, VNC_SCRIPT_HASH } from './vnc-page.js';

// A console proxy (nova-novncproxy, nova-spicehtml5proxy, nova-serialproxy): it serves its browser client's files,
// and turns a WebSocket carrying a valid token into a session relaying the guest's console. Every refusal (a `//`
// path, a foreign Origin, an unknown subprotocol, too many failed tokens, a wrong or expired token, a full session
// cap) is answered before the WebSocket opens, and before any connection to the guest. Tokens are never logged.

export interface GuestEndpoint {
  readonly host: string;
  readonly port: number;
  /** The domain's VNC password (VNC only). */
  readonly password?: string;
}

export interface ConsoleProxyOptions {
  readonly type: ConsoleType;
  readonly models: Models;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly sessions: ConsoleSessions;
  readonly failedTokens: FailedTokens;
  readonly allowedOrigins: readonly string[];
  readonly bufferBytes: number;
  /** Where the token's console is now, with the VNC password: asked of the guest's host. */
  readonly guestEndpoint: (token: ConsoleAuthTokenRow) => Promise<GuestEndpoint>;
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  readonly handshakeMs?: number;
}

export interface ConsoleProxy {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

const PROTOCOL: Record<ConsoleType, Session['protocol']> = { novnc: 'vnc', 'spice-html5': 'spice', serial: 'serial' };
const NOVNC_DIR = dirname(dirname(createRequire(import.meta.url).resolve('@novnc/novnc')));
const SPICE_DIR = '/usr/share/spice-html5';

/** The token of a WebSocket request: its `token` query parameter, else its `token` cookie (as Nova's proxy reads). */
export function tokenOf(req: IncomingMessage): string {
  const query = new URL(req.url ?? '/', 'http://proxy').searchParams.get('token');
  if (query) return query;
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === 'token') return decodeURIComponent(value.join('='));
  }
  return '';
}

/** The request path for logs: never the query string, which carries the token. */
const pathOf = (req: IncomingMessage) => (req.url ?? '').split('?')[0].slice(0, 200);

function refuse(socket: Duplex, status: number, text: string): void {
  const body = `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export async function startConsoleProxy(o: ConsoleProxyOptions, host: string, port: number): Promise<ConsoleProxy> {
  const secure = Boolean(o.tls);
  const log = o.logger.child({ console: o.type });
  const handshakeMs = o.handshakeMs ?? 10_000;
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    // A frame larger than half the buffer would overrun it at once.
    maxPayload: Math.max(4_096, Math.floor(o.bufferBytes / 2)),
    // noVNC and websockify speak `binary` or no subprotocol at all.
    handleProtocols: (offered) => (offered.has('binary') ? 'binary' : false),
  });

  const files = (req: IncomingMessage, res: ServerResponse) => {
    const path = pathOf(req);
    const head = req.method === 'HEAD';
    if (doubleSlash(req.url)) return answer(res, 400, 'Bad Request');
    if (req.method !== 'GET' && !head) return answer(res, 405, 'Method Not Allowed');
    if (o.type === 'novnc') {
      if (path === '/' || path === '/vnc_lite.html' || path === '/vnc.html') {
        res.writeHead(200, {
          'Content-Type': 'text/html; charset=utf-8',
          'Content-Security-Policy': `default-src 'self'; script-src 'self' ${VNC_SCRIPT_HASH}; style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:`,
        });
        return res.end(head ? undefined : VNC_PAGE);
      }
      if ((path.startsWith('/core/') || path.startsWith('/vendor/')) && serveFile(res, NOVNC_DIR, path, head)) return;
    }
    if (o.type === 'spice-html5' && path !== '/' && serveFile(res, SPICE_DIR, path, head)) return;
    answer(res, 404, 'Not Found');
  };
  const server = o.tls ? createHttpsServer({ cert: o.tls.cert, key: o.tls.key }, files) : createHttpServer(files);

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    upgrade(req, socket, head).catch((error: unknown) => {
      log.warn({ err: error, path: pathOf(req) }, 'console connection failed');
      refuse(socket, 500, 'Internal Server Error');
    });
  });

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const client = req.socket.remoteAddress ?? 'unknown';
    const refused = (status: number, text: string, why: string) => {
      log.info({ client, path: pathOf(req), status, why }, 'console connection refused');
      refuse(socket, status, text);
    };
    if (doubleSlash(req.url)) return refused(400, 'Bad Request', 'path starts with //');
    if (!originAllowed(req.headers.origin, req.headers.host, secure, o.allowedOrigins)) return refused(403, 'Origin not allowed', 'origin');
    const protocols = (req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    if (protocols.length && !protocols.includes('binary')) return refused(400, 'Bad Request: subprotocol binary or none', 'subprotocol');
    if (o.failedTokens.blocked(client)) return refused(429, 'Too Many Requests', 'failed tokens');
    const checked = await validToken(o.models, tokenOf(req), o.type, o.clock.now());
    if ('refused' in checked) {
      o.failedTokens.failed(client);
      return refused(403, 'Invalid token', `token ${checked.refused}`);
    }
    const token = checked.row;
    const joined = PROTOCOL[o.type] === 'spice' ? o.sessions.joinable(token) : undefined;
    const full = joined ? undefined : o.sessions.refusal(token);
    if (full) return refused(503, `Service Unavailable: ${full}`, full);
    wss.handleUpgrade(req, socket, head, (ws) => {
      open(ws, token, joined).catch((error: unknown) => {
        log.warn({ err: error instanceof Error ? error.message : String(error), server: token.instance_uuid }, 'console session failed');
        ws.close(1011, 'console unavailable');
      });
    });
  }

  async function open(ws: WebSocket, token: ConsoleAuthTokenRow, joined: Session | undefined): Promise<void> {
    const clientQueue = new ByteQueue();
    const onClient = (data: Buffer | ArrayBuffer | Buffer[]) =>
      clientQueue.push(Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data));
    ws.on('message', onClient);
    ws.on('close', () => clientQueue.fail(new Error('the client closed')));
    const clientEnd: RfbEnd = { queue: clientQueue, write: (b) => ws.send(b, { binary: true }) };
    const vnc = o.type === 'novnc';
    const timer = o.clock.setTimeout(() => {
      clientQueue.fail(new Error('handshake timed out'));
      guestQueue.fail(new Error('handshake timed out'));
    }, handshakeMs);
    const guestQueue = new ByteQueue();
    let guest: Socket | undefined;
    try {
      if (vnc) await clientVersion(clientEnd);
      const endpoint = await o.guestEndpoint(token);
      guest = await connectTo(endpoint);
      const g = guest;
      const onGuest = (b: Buffer) => guestQueue.push(b);
      g.on('data', onGuest);
      g.on('close', () => guestQueue.fail(new Error('the guest closed')));
      if (vnc) {
        try {
          await guestHandshake({ queue: guestQueue, write: (b) => g.write(b) }, endpoint.password);
        } catch (error) {
          clientRefusal(clientEnd, 'the console could not be opened');
          throw error;
        }
        await clientSecurityNone(clientEnd);
      }
      // Neither end is read while the session is recorded: a stream with no listener would drop what arrives.
      g.pause();
      ws.pause();
      g.off('data', onGuest);
      ws.off('message', onClient);
    } catch (error) {
      guest?.destroy();
      ws.close(1011, 'console unavailable');
      throw error;
    } finally {
      o.clock.clearTimeout(timer);
    }
    const g = guest;
    // Made once the session is recorded; its readers run later.
    const relayed: { counters?: RelayCounters } = {};
    let reason: EndReason = 'closed';
    const close = (why: EndReason) => {
      reason = why;
      g.destroy();
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000, why);
      else ws.terminate();
    };
    const session =
      joined ??
      (await o.sessions
        .add({
          token,
          protocol: PROTOCOL[o.type],
          connections: 0,
          toGuest: () => relayed.counters?.toGuest ?? 0,
          toClient: () => relayed.counters?.toClient ?? 0,
          buffered: () => relayed.counters?.buffered() ?? 0,
          close,
        })
        .catch((error: unknown) => {
          // Not recorded (its actor did not answer): no session without its row.
          g.destroy();
          throw error;
        }));
    session.connections++;
    relayed.counters = relay(ws, g, o.bufferBytes, () => {
      session.connections--;
      if (session.connections <= 0) void o.sessions.ended(session, reason);
    });
    // What arrived past the handshake goes on, in order.
    const early = clientQueue.rest();
    if (early.length) g.write(early);
    const late = guestQueue.rest();
    if (late.length) ws.send(late, { binary: true });
    g.resume();
    ws.resume();
    log.info({ session: session.id, server: token.instance_uuid }, 'console session opened');
  }

  const connectTo = (e: GuestEndpoint) =>
    new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: e.host, port: e.port });
      s.once('connect', () => {
        s.off('error', reject);
        s.setNoDelay(true);
        resolve(s);
      });
      s.once('error', reject);
    });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    server,
    url: `${secure ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}
