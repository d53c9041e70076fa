import { issueToken, tokenRow, type ConsoleType } from '../consoles/tokens.js';
import { computeActors } from './actors.js';
import type { ComputeDeps } from './deps.js';
import { ComputeFault, ControllerUnauthorized, badRequest } from './errors.js';
import { authorize, type ComputeCaller } from './policy.js';
import { findServer, instanceNotFound } from './servers.js';

// Nova's remote consoles (compute/api.py get_vnc_console and its kin, compute/manager.py): the console's address is
// asked of the guest's host, a token is stored by its hash, and the URL of the console proxy carries the token.

export type ConsoleProtocol = 'vnc' | 'spice' | 'serial' | 'mks';

/** Where the console proxies are, as clients reach them (the URLs' bases), and how long a token opens its console. */
export interface ConsoleSettings {
  readonly tokenTtlMs: number;
  /** Base URL of each console type's proxy page or socket. */
  readonly baseUrl: (type: ConsoleType) => string;
}

const TYPES: Record<string, { protocol: ConsoleProtocol; type?: ConsoleType }> = {
  novnc: { protocol: 'vnc', type: 'novnc' },
  // Nova removed the XenAPI VNC proxy: its manager calls the type invalid.
  xvpvnc: { protocol: 'vnc' },
  'spice-html5': { protocol: 'spice', type: 'spice-html5' },
  serial: { protocol: 'serial', type: 'serial' },
  webmks: { protocol: 'mks' },
};

const notSupported = () => new ComputeFault(501, 'The requested functionality is not supported.');

/** The console's URL in Nova's form: noVNC reads the WebSocket's path (with the token) from `path`. */
export function accessUrl(base: string, type: ConsoleType, token: string): string {
  const sep = base.includes('?') ? '&' : '?';
  return type === 'novnc' ? `${base}${sep}path=%3Ftoken%3D${token}` : `${base}${sep}token=${token}`;
}

/**
 * A console of the server: its URL, with a new token. `protocol` is the API's (2.6+); the legacy actions give the
 * protocol their name says. Nova's refusals: 404 (not the caller's), 400 (type not of the protocol), 409 (not on a
 * host or not running), 501 (a driver without consoles: the simulated hosts').
 */
export async function createConsole(
  d: ComputeDeps & { consoles?: ConsoleSettings },
  caller: ComputeCaller,
  id: string,
  protocol: ConsoleProtocol,
  type: string,
): Promise<string> {
  const server = await findServer(d, caller, id, { attributes: ['uuid', 'project_id', 'host', 'vm_state'] });
  authorize(caller, 'os_compute_api:os-remote-consoles', 'member');
  const known = Object.hasOwn(TYPES, type) ? TYPES[type] : undefined;
  if (protocol === 'mks' || known?.protocol === 'mks') throw notSupported();
  if (!known?.type || known.protocol !== protocol) throw badRequest(`Invalid console type ${type}`);
  const settings = d.consoles;
  if (!settings) throw new ComputeFault(400, `Unavailable console type ${type}.`);
  if (!server.host) throw new ComputeFault(409, `Instance ${server.uuid} is not ready`);
  if (server.vm_state !== 'active') throw new ComputeFault(409, `Instance ${server.uuid} is not ready`);
  let endpoint: { host: string; port: number };
  try {
    endpoint = await computeActors(d.actors)
      .host(server.host)
      .consoleEndpoint({ instance_uuid: server.uuid, protocol }, { correlationId: caller.correlationId });
  } catch (error) {
    const e = error as { code?: string; message?: string; details?: { unsupported?: boolean; notReady?: boolean; missing?: boolean } };
    if (e.code === 'rejected' && e.details?.unsupported) throw notSupported();
    if (e.code === 'rejected' && e.details?.notReady) throw new ComputeFault(409, `Instance ${server.uuid} is not ready`);
    if (e.code === 'rejected' && e.details?.missing) throw instanceNotFound(id);
    throw error;
  }
  const { token } = await issueToken(
    d.models,
    {
      consoleType: known.type,
      instanceUuid: server.uuid,
      computeHost: server.host,
      host: endpoint.host,
      port: endpoint.port,
      ttlMs: settings.tokenTtlMs,
    },
    d.clock.now(),
  );
  return accessUrl(settings.baseUrl(known.type), known.type, token);
}

/** GET /os-console-auth-tokens/{token} (admin): the console a live token opens. Below 2.31 only RDP's were shown. */
export async function consoleAuthToken(d: ComputeDeps, caller: ComputeCaller, token: string, allTypes: boolean) {
  authorize(caller, 'os_compute_api:os-console-auth-tokens', 'admin');
  if (!token) throw badRequest('token not provided');
  const row = await tokenRow(d.models, token, d.clock.now());
  if (!row) throw new ComputeFault(404, 'Token not found');
  if (!allTypes && row.console_type !== 'rdp-html5') throw new ControllerUnauthorized('The requested console type details are not accessible');
  return { instance_uuid: row.instance_uuid, host: row.host, port: row.port, internal_access_path: row.internal_access_path };
}
