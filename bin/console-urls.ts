import type { Config } from '../cluster.config.js';
import type { ConsoleSettings } from '../services/compute/consoles.js';
import type { ConsoleType } from '../services/consoles/tokens.js';

// The console proxies' public URLs as the compute API hands them out (Nova's novncproxy_base_url,
// html5proxy_base_url and [serial_console] base_url), from the configuration.

const tls = (config: Config) => Boolean(config.consoles.certFile && config.consoles.keyFile);

/** Ports the proxies of this node are bound to (a configured port 0 is the system's choice). */
export type BoundConsolePorts = Partial<Record<ConsoleType, number>>;

export function consoleBaseUrl(config: Config, type: ConsoleType, bound: BoundConsolePorts = {}): string {
  const c = config.consoles;
  const http = tls(config) ? 'https' : 'http';
  const ws = tls(config) ? 'wss' : 'ws';
  if (type === 'novnc') return c.novncBaseUrl || `${http}://${config.publicHost}:${bound.novnc ?? config.listen.console}/vnc_lite.html`;
  if (type === 'spice-html5') return c.spiceBaseUrl || `${http}://${config.publicHost}:${bound['spice-html5'] ?? c.spicePort}/spice_auto.html`;
  return c.serialBaseUrl || `${ws}://${config.publicHost}:${bound.serial ?? c.serialPort}/`;
}

export const consoleSettings = (config: Config, bound: BoundConsolePorts = {}): ConsoleSettings => ({
  tokenTtlMs: config.consoles.tokenTtlS * 1000,
  baseUrl: (type) => consoleBaseUrl(config, type, bound),
});
