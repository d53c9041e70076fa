import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';

/**
 * This machine's address as Nova's my_ip defaults to it: the IPv4 address of the interface that carries the
 * default route, read from the routing table (no packet sent), else the first non-loopback IPv4 address,
 * else the loopback.
 */
export function machineIp(): string {
  const interfaces = networkInterfaces();
  const ipv4Of = (name: string) => interfaces[name]?.find((a) => a.family === 'IPv4' && !a.internal)?.address;
  const routed = defaultRouteInterface();
  const address = (routed && ipv4Of(routed)) ?? Object.keys(interfaces).map(ipv4Of).find(Boolean);
  return address ?? '127.0.0.1';
}

function defaultRouteInterface(): string | undefined {
  try {
    const routes = readFileSync('/proc/net/route', 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/));
    return routes.find((r) => r[1] === '00000000' && r[7] === '00000000')?.[0];
  } catch {
    return undefined;
  }
}
