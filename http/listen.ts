import { createServer, type Server, type ServerResponse } from 'node:http';
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

export function listen(app: Koa<any>, host: string, port: number): Promise<Listening> {
  const server = createServer(app.callback());
  const inFlight = new Set<ServerResponse>();
  let closing = false;
  server.on('request', (_req, res: ServerResponse) => {
    // A request that reached us on a kept-alive connection after the stop began is still answered.
    if (closing) res.shouldKeepAlive = false;
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`, server,
        close: (graceMs = 0) => new Promise<void>((done) => {
          closing = true;
          // A client must not send its next request on a connection that is about to end.
          for (const res of inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
          const cut = setTimeout(() => server.closeAllConnections(), graceMs);
          server.close(() => { clearTimeout(cut); done(); });
          server.closeIdleConnections();
        }),
      });
    });
  });
}
