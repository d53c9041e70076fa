import { createServer, type Server, type Socket } from 'node:net';
import { ByteQueue } from '../../http/console/byte-queue.js';
import { vncAuthResponse } from '../../http/console/vnc-auth.js';

// A listener standing in for a guest's VNC server (QEMU's with a password: RFB 3.8, security type 2 only), counting
// the connections it saw; after ServerInit it keeps what the client sends and can flood the client. Or, as `raw`, a
// plain TCP console (a serial port) that echoes.

export interface StandIn {
  readonly port: number;
  /** Connections accepted so far. */
  connections: number;
  /** Connections whose VNC authentication succeeded. */
  authenticated: number;
  /** Bytes received after the handshake, by connection. */
  readonly received: Buffer[][];
  readonly sockets: Socket[];
  close(): Promise<void>;
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

export function serverInit(name: string): Buffer {
  const pixelFormat = Buffer.from([32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]);
  const size = Buffer.alloc(4);
  size.writeUInt16BE(640, 0);
  size.writeUInt16BE(480, 2);
  return Buffer.concat([size, pixelFormat, u32(Buffer.byteLength(name)), Buffer.from(name)]);
}

async function vnc(socket: Socket, password: string, s: StandIn, index: number): Promise<void> {
  const q = new ByteQueue();
  socket.on('data', (b: Buffer) => q.push(b));
  socket.on('close', () => q.fail(new Error('closed')));
  socket.write('RFB 003.008\n');
  await q.read(12);
  socket.write(Buffer.from([1, 2]));
  if ((await q.read(1))[0] !== 2) return void socket.destroy();
  const challenge = Buffer.from(Array.from({ length: 16 }, (_, i) => (i * 37 + index) & 255));
  socket.write(challenge);
  const response = await q.read(16);
  if (!response.equals(vncAuthResponse(password, challenge))) {
    socket.end(Buffer.concat([u32(1), u32(20), Buffer.from('Authentication fail')]));
    return;
  }
  s.authenticated++;
  socket.write(u32(0));
  await q.read(1); // ClientInit
  socket.write(serverInit('standin'));
  socket.removeAllListeners('data');
  const rest = q.rest();
  if (rest.length) s.received[index].push(rest);
  socket.on('data', (b: Buffer) => s.received[index].push(b));
}

export async function startStandIn(mode: { vncPassword: string } | 'raw'): Promise<StandIn> {
  const s: StandIn = {
    port: 0,
    connections: 0,
    authenticated: 0,
    received: [],
    sockets: [],
    close: async () => {
      for (const socket of s.sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((socket) => {
    const index = s.connections++;
    s.received.push([]);
    s.sockets.push(socket);
    socket.on('error', () => undefined);
    if (mode === 'raw') socket.on('data', (b: Buffer) => (s.received[index].push(b), socket.write(b)));
    else vnc(socket, mode.vncPassword, s, index).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (s as { port: number }).port = (server.address() as { port: number }).port;
  return s;
}
