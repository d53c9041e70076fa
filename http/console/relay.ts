import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

// Bytes both ways between a browser's WebSocket and the guest's console socket, each direction holding at most
// `bound` bytes the other end has not taken: past it the proxy stops reading the sending end (TCP's own flow
// control then holds the sender back), and reads again once the receiver has taken half of it.

export interface RelayCounters {
  toGuest: number;
  toClient: number;
  /** Bytes accepted from one end and not yet written out to the other. */
  buffered(): number;
}

export function relay(ws: WebSocket, guest: Socket, bound: number, onEnd: (why: string) => void): RelayCounters {
  let pendingToClient = 0;
  let guestPaused = false;
  let ended = false;
  const end = (why: string) => {
    if (ended) return;
    ended = true;
    onEnd(why);
  };
  // A read from the guest is at most its socket's read size: pausing that far below the bound keeps the bound.
  const pauseAt = Math.max(1, bound - 64 * 1024);
  const counters: RelayCounters = {
    toGuest: 0,
    toClient: 0,
    buffered: () => pendingToClient + guest.writableLength,
  };

  guest.on('data', (chunk: Buffer) => {
    counters.toClient += chunk.length;
    pendingToClient += chunk.length;
    ws.send(chunk, { binary: true }, () => {
      pendingToClient -= chunk.length;
      if (guestPaused && pendingToClient <= bound / 2) {
        guestPaused = false;
        guest.resume();
      }
    });
    if (pendingToClient >= pauseAt && !guestPaused) {
      guestPaused = true;
      guest.pause();
    }
  });
  ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
    const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    counters.toGuest += chunk.length;
    guest.write(chunk);
    if (guest.writableLength >= bound / 2 && !ws.isPaused) ws.pause();
  });
  guest.on('drain', () => {
    if (ws.isPaused) ws.resume();
  });
  guest.on('close', () => end('guest closed'));
  guest.on('error', () => end('guest error'));
  ws.on('close', () => end('client closed'));
  ws.on('error', () => end('client error'));
  return counters;
}
