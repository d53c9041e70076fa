import Router from '@koa/router';
import { NovaFault, notFound } from '../errors.js';
import { listNetworks } from '../../../services/compute/network-proxies.js';
import type { ComputeServices, ComputeState } from '../services.js';

// The APIs Nova 26 keeps only to refuse (nova-network, cells v1, cloudpipe, certificates, agents, …):
// their controllers answer 410 Gone at every microversion, before any policy or lookup. And the
// network proxies' reads, which Nova serves up to 2.35 (404 from 2.36).

const GONE = 'This resource is no longer available.  No forwarding address is given.';
const gone = () => {
  throw new NovaFault(410, GONE);
};

/** [method, path] of every route whose controller method raises HTTPGone in Nova 26.0.0 (routes.py). */
const REMOVED: ReadonlyArray<readonly ['get' | 'post' | 'put' | 'delete', string]> = [
  ['get', '/os-agents'],
  ['post', '/os-agents'],
  ['put', '/os-agents/:id'],
  ['delete', '/os-agents/:id'],
  ['get', '/os-cells'],
  ['post', '/os-cells'],
  ['get', '/os-cells/capacities'],
  ['get', '/os-cells/detail'],
  ['get', '/os-cells/info'],
  ['post', '/os-cells/sync_instances'],
  ['get', '/os-cells/:id'],
  ['put', '/os-cells/:id'],
  ['delete', '/os-cells/:id'],
  ['get', '/os-cells/:id/capacities'],
  ['post', '/os-certificates'],
  ['get', '/os-certificates/:id'],
  ['get', '/os-cloudpipe'],
  ['post', '/os-cloudpipe'],
  ['put', '/os-cloudpipe/:id'],
  ['get', '/os-fixed-ips/:id'],
  ['post', '/os-fixed-ips/:id/action'],
  ['get', '/os-floating-ip-dns'],
  ['put', '/os-floating-ip-dns/:id'],
  ['delete', '/os-floating-ip-dns/:id'],
  ['get', '/os-floating-ip-dns/:domain/entries/:id'],
  ['put', '/os-floating-ip-dns/:domain/entries/:id'],
  ['delete', '/os-floating-ip-dns/:domain/entries/:id'],
  ['get', '/os-floating-ips-bulk'],
  ['post', '/os-floating-ips-bulk'],
  ['get', '/os-floating-ips-bulk/:id'],
  ['put', '/os-floating-ips-bulk/:id'],
  ['get', '/os-fping'],
  ['get', '/os-fping/:id'],
  ['post', '/os-networks'],
  ['post', '/os-networks/add'],
  ['delete', '/os-networks/:id'],
  ['post', '/os-networks/:id/action'],
  ['get', '/os-security-group-default-rules'],
  ['post', '/os-security-group-default-rules'],
  ['get', '/os-security-group-default-rules/:id'],
  ['delete', '/os-security-group-default-rules/:id'],
  ['post', '/os-tenant-networks'],
  ['delete', '/os-tenant-networks/:id'],
  ['get', '/servers/:server_id/consoles'],
  ['post', '/servers/:server_id/consoles'],
  ['get', '/servers/:server_id/consoles/:id'],
  ['delete', '/servers/:server_id/consoles/:id'],
  ['get', '/servers/:server_id/os-virtual-interfaces'],
];

// Nova's MAX_PROXY_API_SUPPORT_VERSION.
const PROXY_MAX = '2.36';

export function removedRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();
  for (const [method, path] of REMOVED) router[method](path, gone);
  // The network proxies' reads: Neutron's networks as nova-network's (os-tenant-networks: id, cidr as Python's str() of None, label).
  for (const path of ['/os-networks', '/os-tenant-networks']) {
    const tenant = path === '/os-tenant-networks';
    const view = (n: Record<string, unknown>) => (tenant ? { id: n.id, cidr: typeof n.cidr === 'string' ? n.cidr : 'None', label: n.label } : n);
    router.get(path, async (ctx) => {
      if (ctx.state.version.atLeast(PROXY_MAX)) throw notFound('The resource could not be found.');
      ctx.body = { networks: (await listNetworks(s, ctx.state, `os_compute_api:${path.slice(1)}:list`)).map(view) };
    });
    router.get(`${path}/:id`, async (ctx) => {
      if (ctx.state.version.atLeast(PROXY_MAX)) throw notFound('The resource could not be found.');
      ctx.body = { network: view((await listNetworks(s, ctx.state, `os_compute_api:${path.slice(1)}:show`, ctx.params.id))[0]) };
    });
  }
  return router;
}
