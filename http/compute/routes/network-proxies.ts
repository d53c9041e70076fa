import Router from '@koa/router';
import { floatingIpPools, listFloatingIps, listSecurityGroups, showSecurityGroup } from '../../../services/compute/network-proxies.js';
import { notFound } from '../errors.js';
import type { ComputeContext, ComputeServices, ComputeState } from '../services.js';

// Nova's network proxies to Neutron, served below 2.36 and 404 from it (MAX_PROXY_API_SUPPORT_VERSION); their
// writes are not served yet.

const proxied = (ctx: ComputeContext) => {
  if (ctx.state.version.atLeast('2.36')) throw notFound('The resource could not be found.');
};

export function networkProxyRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();
  router.get('/os-security-groups', async (ctx) => {
    proxied(ctx);
    ctx.body = { security_groups: await listSecurityGroups(s, ctx.state) };
  });
  router.get('/os-security-groups/:id', async (ctx) => {
    proxied(ctx);
    ctx.body = { security_group: await showSecurityGroup(s, ctx.state, ctx.params.id) };
  });
  router.get('/os-floating-ip-pools', async (ctx) => {
    proxied(ctx);
    ctx.body = { floating_ip_pools: await floatingIpPools(s, ctx.state) };
  });
  router.get('/os-floating-ips', async (ctx) => {
    proxied(ctx);
    ctx.body = { floating_ips: await listFloatingIps(s, ctx.state) };
  });
  router.get('/os-floating-ips/:id', async (ctx) => {
    proxied(ctx);
    ctx.body = { floating_ip: (await listFloatingIps(s, ctx.state, ctx.params.id))[0] };
  });
  return router;
}
