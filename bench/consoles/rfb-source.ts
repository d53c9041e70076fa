import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { ByteQueue } from '../../http/console/byte-queue.js';
import { vncAuthResponse } from '../../http/console/vnc-auth.js';
import { serverInit } from '../../test/helpers/rfb-standin.js';

// A local RFB 3.8 server with VNC Authentication, as QEMU's console with a password: after ServerInit it reads the
// client's messages, and answers a full FramebufferUpdateRequest with either one 640×480 raw frame of one colour
// (what a browser draws) or, as a flood, `floodFrames` raw 256×256 updates, written as fast as the reader takes
// them (the synthetic stream the proxies relay).

export const WIDTH = 640;
export const HEIGHT = 480;
/** The colour of the drawn frame, as noVNC asks for pixels (32 bpp, red at shift 0): R, G, B. */
export const COLOUR = [0x20, 0xc0, 0x60] as const;
const FLOOD_SIDE = 256;

export interface RfbSource {
  readonly port: number;
  close(): Promise<void>;
}

const u16 = (n: number) => Buffer.from([n >> 8, n & 255]);

function update(width: number, height: number, pixel: readonly number[]): Buffer {
  const header = Buffer.concat([Buffer.from([0, 0]), u16(1), u16(0), u16(0), u16(width), u16(height), Buffer.alloc(4)]);
  const pixels = Buffer.alloc(width * height * 4);
  for (let i = 0; i < pixels.length; i += 4) pixels.set(pixel, i);
  return Buffer.concat([header, pixels]);
}

/** Bytes of one flood update (header and pixels). */
export const FLOOD_FRAME_BYTES = 16 + FLOOD_SIDE * FLOOD_SIDE * 4;

export async function startRfbSource(password: string, mode: { floodFrames: number } | 'frame'): Promise<RfbSource> {
  const frame = mode === 'frame' ? update(WIDTH, HEIGHT, [...COLOUR, 0]) : update(FLOOD_SIDE, FLOOD_SIDE, [...randomBytes(3), 0]);
  const sockets = new Set<Socket>();
  const serve = async (socket: Socket) => {
    const q = new ByteQueue(1024 * 1024);
    socket.on('data', (b: Buffer) => q.push(b));
    socket.on('close', () => q.fail(new Error('closed')));
    socket.write('RFB 003.008\n');
    await q.read(12);
    socket.write(Buffer.from([1, 2]));
    await q.read(1);
    const challenge = randomBytes(16);
    socket.write(challenge);
    if (!(await q.read(16)).equals(vncAuthResponse(password, challenge))) return void socket.destroy();
    socket.write(Buffer.from([0, 0, 0, 0]));
    await q.read(1);
    socket.write(serverInit('bench'));
    for (;;) {
      const type = (await q.read(1))[0];
      if (type === 0) await q.read(19);
      else if (type === 2) await q.read(4 * (await q.read(3)).readUInt16BE(1));
      else if (type === 4) await q.read(7);
      else if (type === 5) await q.read(5);
      else if (type === 6) await q.read((await q.read(7)).readUInt32BE(3));
      else if (type === 3) {
        const incremental = (await q.read(9))[0] === 1;
        if (incremental) continue;
        if (mode === 'frame') socket.write(frame);
        else for (let i = 0; i < mode.floodFrames; i++) if (!socket.write(frame)) await once(socket, 'drain');
      } else return void socket.destroy();
    }
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    serve(socket).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
