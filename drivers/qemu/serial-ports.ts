import { createServer } from 'node:net';

export interface PortRange {
  readonly min: number;
  readonly max: number;
}

/** Nova's `[serial_console] port_range` default. */
export const DEFAULT_SERIAL_PORTS: PortRange = { min: 10000, max: 20000 };

/** Whether a TCP server can listen on host:port right now. */
export function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port for a guest's serial console server: the lowest in `range` that is not in `assigned` (ports the caller
 * has given to guests, running or not) and that nothing listens on at `host`. QEMU binds it only when the guest
 * starts, so another process may still take it meanwhile: a start that fails on it picks again.
 */
export async function pickSerialPort(host: string, assigned: ReadonlySet<number>, range: PortRange = DEFAULT_SERIAL_PORTS): Promise<number> {
  if (!(Number.isInteger(range.min) && Number.isInteger(range.max) && range.min >= 1 && range.min <= range.max && range.max <= 65535)) {
    throw new Error(`serial port range ${range.min}:${range.max} is not a range of TCP ports`);
  }
  for (let port = range.min; port <= range.max; port++) {
    if (!assigned.has(port) && (await portIsFree(host, port))) return port;
  }
  throw new Error(`no free serial console port in ${range.min}:${range.max} on ${host}: all are assigned or in use`);
}

/**
 * Whether a guest's start failed because QEMU could not listen on one of its console ports (serial, VNC, SPICE):
 * chosen free, the port was taken before QEMU bound it (by a guest of another daemon on this machine, say).
 */
export function consolePortTaken(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /Address already in use|binding socket to \S+ failed/i.test(message);
}
