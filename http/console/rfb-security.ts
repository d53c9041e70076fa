import type { ByteQueue } from './byte-queue.js';
import { vncAuthResponse } from './vnc-auth.js';

// The RFB security proxy (as Nova's rfb security proxy): the proxy authenticates to the guest's VNC server with the
// domain's password, and offers the browser only security type None. Both ends speak RFB 3.8; after the security
// handshake the bytes (ClientInit, ServerInit, everything) pass through unchanged.

export interface RfbEnd {
  readonly queue: ByteQueue;
  write(bytes: Buffer): void;
}

const VERSION = Buffer.from('RFB 003.008\n', 'latin1');
const NONE = 1;
const VNC_AUTH = 2;

export class RfbRefused extends Error {}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

async function reason(end: RfbEnd): Promise<string> {
  const length = (await end.queue.read(4)).readUInt32BE(0);
  return (await end.queue.read(Math.min(length, 4096))).toString('utf8');
}

/** The browser's side up to its choice of a security type: versions exchanged (3.8 only). */
export async function clientVersion(client: RfbEnd): Promise<void> {
  client.write(VERSION);
  const version = (await client.queue.read(12)).toString('latin1');
  if (version !== VERSION.toString('latin1')) throw new RfbRefused(`unsupported RFB version ${JSON.stringify(version.trim())}`);
}

/** The browser's security: only None offered, the result OK. */
export async function clientSecurityNone(client: RfbEnd): Promise<void> {
  client.write(Buffer.from([1, NONE]));
  const chosen = (await client.queue.read(1))[0];
  if (chosen !== NONE) {
    client.write(Buffer.concat([u32(1), u32(24), Buffer.from('security type not offered', 'utf8').subarray(0, 24)]));
    throw new RfbRefused(`the client chose security type ${chosen}`);
  }
  client.write(u32(0));
}

/** Tells the browser the console cannot be opened (no security types, then the reason), as RFB 3.8 says it. */
export function clientRefusal(client: RfbEnd, why: string): void {
  const text = Buffer.from(why, 'utf8');
  client.write(Buffer.concat([Buffer.from([0]), u32(text.length), text]));
}

/** The guest's side: version, then VNC Authentication with the domain's password (or None if it asks for none). */
export async function guestHandshake(guest: RfbEnd, password: string | undefined): Promise<void> {
  const version = (await guest.queue.read(12)).toString('latin1');
  if (!/^RFB 003\.00[78]\n$/.test(version)) throw new RfbRefused(`the guest speaks RFB ${JSON.stringify(version.trim())}`);
  guest.write(VERSION);
  const count = (await guest.queue.read(1))[0];
  if (count === 0) throw new RfbRefused(`the guest refused: ${await reason(guest)}`);
  const types = [...(await guest.queue.read(count))];
  if (password !== undefined && types.includes(VNC_AUTH)) {
    guest.write(Buffer.from([VNC_AUTH]));
    guest.write(vncAuthResponse(password, await guest.queue.read(16)));
  } else if (types.includes(NONE)) {
    guest.write(Buffer.from([NONE]));
  } else {
    throw new RfbRefused(`no security type the proxy can use (the guest offers ${types.join(', ')})`);
  }
  const result = (await guest.queue.read(4)).readUInt32BE(0);
  if (result !== 0) throw new RfbRefused(`the guest refused the authentication: ${await reason(guest)}`);
}
