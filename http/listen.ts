import { createServer, type Server } from 'node:http';
import type Koa from 'koa';

export interface Listening { readonly url: string; readonly server: Server; close(): Promise<void> }

export interface ListenOptions {
  /** Longest a request may take to arrive whole (Node's `requestTimeout`); 0: no limit. */
  readonly requestTimeoutMs?: number;
  /** A connection that moves no byte this long is closed (Node's `server.timeout`). */
  readonly idleTimeoutMs?: number;
}

export function listen(app: Koa<any>, host: string, port: number, options: ListenOptions = {}): Promise<Listening> {
  const server = createServer({ ...(options.requestTimeoutMs !== undefined ? { requestTimeout: options.requestTimeoutMs } : {}) }, app.callback());
  if (options.idleTimeoutMs !== undefined) server.timeout = options.idleTimeoutMs;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`, server,
        close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}
