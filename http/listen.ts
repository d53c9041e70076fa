import { createServer, type Server } from 'node:http';
import type Koa from 'koa';

export interface Listening { readonly url: string; readonly server: Server; close(): Promise<void> }

export function listen(app: Koa<any>, host: string, port: number): Promise<Listening> {
  const server = createServer(app.callback());
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
