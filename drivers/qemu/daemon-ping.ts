import { connect } from 'node:net';

// libvirt's RPC: a 4-byte length, then a header of six XDR words (program, version, procedure, type, serial,
// status), then the XDR-encoded arguments or answer.
const REMOTE_PROGRAM = 0x20008086;
const REMOTE_PROTOCOL_VERSION = 1;
const CONNECT_OPEN = 1;
const CONNECT_CLOSE = 2;
const CONNECT_GET_CAPABILITIES = 7;
const CALL = 0;
const STATUS_OK = 0;
const HEADER = 28;

function call(procedure: number, serial: number, args: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(HEADER);
  [HEADER + args.length, REMOTE_PROGRAM, REMOTE_PROTOCOL_VERSION, procedure, CALL, serial, STATUS_OK].forEach((word, i) =>
    header.writeUInt32BE(word, i * 4),
  );
  return Buffer.concat([header, args]);
}

// remote_connect_open_args: an optional string (present flag, length, bytes padded to 4) and flags.
function openArgs(name: string): Buffer {
  const text = Buffer.from(name, 'utf8');
  const padded = Math.ceil(text.length / 4) * 4;
  const args = Buffer.alloc(12 + padded);
  args.writeUInt32BE(1, 0);
  args.writeUInt32BE(text.length, 4);
  text.copy(args, 8);
  return args; // flags: the zero already there
}

/**
 * Whether the libvirtd behind `socket` serves `name` with its capabilities known: `connect open`, `get
 * capabilities`, `close`. The daemon accepts no client until its drivers are up, and the first capabilities
 * request of a new daemon probes QEMU (about 8 s here, less with a warm cache), which is better paid here than by
 * the first boot. Spoken directly so that starting a daemon needs neither virsh nor a libvirt binding.
 * False on any failure, at the timeout, or when `signal` aborts (the daemon is seen to die: a connection to a dying
 * daemon is not always told).
 */
export function libvirtdReady(socket: string, timeoutMs: number, signal?: AbortSignal, name = 'qemu:///system'): Promise<boolean> {
  const calls = [call(CONNECT_OPEN, 1, openArgs(name)), call(CONNECT_GET_CAPABILITIES, 2), call(CONNECT_CLOSE, 3)];
  return new Promise((resolve) => {
    const client = connect(socket);
    let received = Buffer.alloc(0);
    let answered = 0;
    const done = (ready: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
      client.destroy();
      resolve(ready);
    };
    const abort = () => done(false);
    const timer = setTimeout(abort, timeoutMs);
    if (signal?.aborted) return abort();
    signal?.addEventListener('abort', abort, { once: true });
    client.on('connect', () => client.write(calls[0]));
    client.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      while (received.length >= HEADER && received.length >= received.readUInt32BE(0)) {
        const ok =
          received.readUInt32BE(4) === REMOTE_PROGRAM && received.readUInt32BE(20) === answered + 1 && received.readUInt32BE(24) === STATUS_OK;
        received = received.subarray(received.readUInt32BE(0));
        if (!ok) return done(false);
        if (++answered === calls.length) return done(true);
        client.write(calls[answered]);
      }
    });
    client.on('error', () => done(false));
    client.on('close', () => done(false));
  });
}
