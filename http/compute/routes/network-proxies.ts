import Router from '@koa/router';
import { floatingIpPools, listFloatingIps, listSecurityGroups, showSecurityGroup } from '../../../services/compute/network-proxies.js';
import {
  allocateFloatingIp,
  createSecurityGroup,
  createSecurityGroupRule,
  deleteSecurityGroup,
  deleteSecurityGroupRule,
  releaseFloatingIp,
  updateSecurityGroup,
} from '../../../services/compute/network-proxy-writes.js';
import { notFound } from '../errors.js';
import { requestBody } from '../services.js';
import type { ComputeContext, ComputeServices, ComputeState } from '../services.js';

// Nova's network proxies to Neutron, served below 2.36 and 404 from it (MAX_PROXY_API_SUPPORT_VERSION); the writes
// go to Neutron with the caller's token, as Nova's do.

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
  const token = (ctx: ComputeContext) => ctx.get('x-auth-token');
  router.post('/os-security-groups', async (ctx) => {
    proxied(ctx);
    ctx.body = { security_group: await createSecurityGroup(s, ctx.state, token(ctx), await requestBody(ctx)) };
  });
  router.put('/os-security-groups/:id', async (ctx) => {
    proxied(ctx);
    ctx.body = { security_group: await updateSecurityGroup(s, ctx.state, token(ctx), ctx.params.id, await requestBody(ctx)) };
  });
  router.delete('/os-security-groups/:id', async (ctx) => {
    proxied(ctx);
    await deleteSecurityGroup(s, ctx.state, token(ctx), ctx.params.id);
    ctx.body = null;
    ctx.status = 202;
  });
  router.post('/os-security-group-rules', async (ctx) => {
    proxied(ctx);
    ctx.body = { security_group_rule: await createSecurityGroupRule(s, ctx.state, token(ctx), await requestBody(ctx)) };
  });
  router.delete('/os-security-group-rules/:id', async (ctx) => {
    proxied(ctx);
    await deleteSecurityGroupRule(s, ctx.state, token(ctx), ctx.params.id);
    ctx.body = null;
    ctx.status = 202;
  });
  router.post('/os-floating-ips', async (ctx) => {
    proxied(ctx);
    // Nova takes no body at all (the default pool).
    ctx.body = { floating_ip: await allocateFloatingIp(s, ctx.state, token(ctx), ctx.request.length ? await requestBody(ctx) : undefined) };
  });
  router.delete('/os-floating-ips/:id', async (ctx) => {
    proxied(ctx);
    await releaseFloatingIp(s, ctx.state, token(ctx), ctx.params.id);
    ctx.body = null;
    ctx.status = 202;
  });
  return router;
}
