import { createServer, STATUS_CODES, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type Koa from 'koa';

export interface Listening {
  readonly url: string;
  readonly server: Server;
  /**
   * Stops accepting (the port closes, idle keep-alive connections end), lets the requests in flight
   * be answered, each on a connection then closed, and resolves when none is left; connections still
   * busy after `graceMs` are cut.
   */
  close(graceMs?: number): Promise<void>;
}

/** An API's error body for a status and message, in its clients' format. */
export type FaultBody = (status: number, message: string) => unknown;

// Keyed by the Koa app.
const faultBodies = new WeakMap<object, FaultBody>();

/**
 * Requests Node's HTTP parser refuses (headers or URL too long, malformed request lines) never
 * reach Koa: the server answers them itself, by default with no body. An API registers its fault
 * body here so that its clients get even these refusals in their own format.
 */
export function answerMalformedWith<S, C>(app: Koa<S, C>, body: FaultBody): void {
  faultBodies.set(app, body);
}

function refuse(socket: Socket, error: Error & { code?: string; rawPacket?: Buffer }, body: FaultBody | undefined): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  // An answer to HEAD has no body, whatever its length says.
  const head = error.rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
  const text = body ? JSON.stringify(body(status, STATUS_CODES[status]!)) : '';
  const type = body ? 'Content-Type: application/json\r\n' : '';
  // The rest of the request is read and dropped: closing on unread data would reset the connection
  // before the client reads the answer. A client that never stops sending is cut off.
  socket.on('data', () => undefined);
  socket.setTimeout(5_000, () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${type}Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${head ? '' : text}`,
  );
}

export interface ListenOptions {
  /** Longest a request may take to arrive whole (Node's `requestTimeout`); 0: no limit. */
  readonly requestTimeoutMs?: number;
  /** A connection that moves no byte this long is closed (Node's `server.timeout`). */
  readonly idleTimeoutMs?: number;
}

export function listen<S, C>(app: Koa<S, C>, host: string, port: number, options: ListenOptions = {}): Promise<Listening> {
  // Koa's handler answers its own failures (app.onerror): its promise never rejects.
  const handle = app.callback();
  const server = createServer({ ...(options.requestTimeoutMs !== undefined ? { requestTimeout: options.requestTimeoutMs } : {}) }, (req, res) => {
    void handle(req, res);
  });
  if (options.idleTimeoutMs !== undefined) server.timeout = options.idleTimeoutMs;
  const inFlight = new Set<ServerResponse>();
  let closing = false;
  server.on('request', (_req, res: ServerResponse) => {
    // A request that reached us on a kept-alive connection after the stop began is still answered.
    if (closing) res.shouldKeepAlive = false;
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  server.on('clientError', (error, socket) => refuse(socket as Socket, error, faultBodies.get(app)));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
        server,
        close: (graceMs = 0) =>
          new Promise<void>((done) => {
            closing = true;
            // A client must not send its next request on a connection that is about to end.
            for (const res of inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
            const cut = setTimeout(() => server.closeAllConnections(), graceMs);
            server.close(() => {
              clearTimeout(cut);
              done();
            });
            server.closeIdleConnections();
          }),
      });
    });
  });
}
