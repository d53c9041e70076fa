import Router from '@koa/router';
import { addressesOf, portsOfServers, type ServerPort } from '../../../services/network/index.js';
import { attachInterface, detachInterface, serverSecurityGroups, type AttachRequest } from '../../../services/compute/server-networks.js';
import { NovaFault, notFound } from '../errors.js';
import { checkBody } from '../json-schema.js';
import { attachInterfaceSchema } from '../schemas/server-subresources.js';
import { findServer } from '../server-lookup.js';
import { authorize, requestBody, type ComputeContext, type ComputeServices, type ComputeState } from '../services.js';

/** A server's ports, as Nova reads them from Neutron for `ips` and `os-interface`. */
async function serverPorts(s: ComputeServices, ctx: ComputeContext, id: string): Promise<ServerPort[]> {
  await findServer(s, ctx, id, { attributes: ['uuid', 'project_id', 'user_id', 'deleted_at'] });
  if (!s.network) return [];
  return (await portsOfServers(s.network, [id])).get(id) ?? [];
}

/** Nova's `ips` view: by network name, each address with its version only. */
function ipsView(ports: readonly ServerPort[]) {
  const out: Record<string, Array<{ version: number; addr: string }>> = {};
  for (const a of addressesOf(ports)) (out[a.network] ??= []).push({ version: a.version, addr: a.addr });
  return out;
}

function attachmentView(ctx: ComputeContext, p: ServerPort) {
  return {
    port_state: p.port.status,
    fixed_ips: p.fixed.map((f) => ({ subnet_id: f.subnet_id, ip_address: f.ip_address })),
    port_id: p.port.id,
    net_id: p.port.network_id,
    mac_addr: p.port.mac_address,
    ...(ctx.state.version.atLeast('2.70') ? { tag: p.tag } : {}),
  };
}

/** `GET /servers/{id}/ips[/{network}]` and `GET /servers/{id}/os-interface[/{port}]`. */
export function serverNetworkRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();

  router.get('/servers/:server_id/ips', async (ctx) => {
    const ports = await serverPorts(s, ctx, ctx.params.server_id);
    authorize(ctx, 'os_compute_api:ips:index', 'reader');
    ctx.body = { addresses: ipsView(ports) };
  });

  router.get('/servers/:server_id/ips/:network', async (ctx) => {
    const ports = await serverPorts(s, ctx, ctx.params.server_id);
    authorize(ctx, 'os_compute_api:ips:show', 'reader');
    const network = ipsView(ports)[ctx.params.network];
    if (!network) throw notFound('Instance is not a member of specified network');
    ctx.body = { [ctx.params.network]: network };
  });

  router.get('/servers/:server_id/os-interface', async (ctx) => {
    const ports = await serverPorts(s, ctx, ctx.params.server_id);
    authorize(ctx, 'os_compute_api:os-attach-interfaces:list', 'reader');
    ctx.body = { interfaceAttachments: ports.map((p) => attachmentView(ctx, p)) };
  });

  router.get('/servers/:server_id/os-interface/:port_id', async (ctx) => {
    const ports = await serverPorts(s, ctx, ctx.params.server_id);
    authorize(ctx, 'os_compute_api:os-attach-interfaces:show', 'reader');
    const port = ports.find((p) => p.port.id === ctx.params.port_id);
    if (!port) throw new NovaFault(404, `Instance ${ctx.params.server_id} does not have a port with id ${ctx.params.port_id}`);
    ctx.body = { interfaceAttachment: attachmentView(ctx, port) };
  });

  router.post('/servers/:server_id/os-interface', async (ctx) => {
    const body = (await requestBody(ctx)) ?? {};
    checkBody(attachInterfaceSchema(ctx.state.version.atLeast('2.49')), body);
    const request = (body as { interfaceAttachment?: AttachRequest }).interfaceAttachment ?? {};
    const port = await attachInterface(s, ctx.state, ctx.params.server_id, request);
    ctx.body = { interfaceAttachment: attachmentView(ctx, port) };
  });

  router.delete('/servers/:server_id/os-interface/:port_id', async (ctx) => {
    await detachInterface(s, ctx.state, ctx.params.server_id, ctx.params.port_id);
    ctx.body = null;
    ctx.status = 202;
  });

  router.get('/servers/:server_id/os-security-groups', async (ctx) => {
    ctx.body = { security_groups: await serverSecurityGroups(s, ctx.state, ctx.params.server_id) };
  });

  return router;
}
