import Router from '@koa/router';
import { INTERNAL_ZONE, serviceRecords, type ServiceRecord } from '../service-records.js';
import { authorize, isoMicros, type ComputeServices, type ComputeState } from '../services.js';

/**
 * Nova's zones are those of its services: a zone is available while one of its services is enabled
 * (up or not), and unavailable when every service in it is disabled. Available zones come first.
 */
function zonesOf(services: readonly ServiceRecord[]) {
  const available = [...new Set(services.filter((r) => !r.disabled).map((r) => r.zone))].sort();
  const unavailable = [...new Set(services.filter((r) => r.disabled).map((r) => r.zone))].filter((z) => !available.includes(z)).sort();
  return { available, unavailable };
}

/** os-availability-zone: the zones for everyone; the detail (admins) names each zone's hosts and their enabled services. */
export function availabilityZoneRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();
  router.get('/os-availability-zone', async (ctx) => {
    // Nova's rule for the list is '@': any user with a token.
    const { available, unavailable } = zonesOf(await serviceRecords(s));
    const zone = (zoneName: string, isAvailable: boolean) => ({ zoneName, zoneState: { available: isAvailable }, hosts: null });
    ctx.body = {
      availabilityZoneInfo: [
        ...available.filter((z) => z !== INTERNAL_ZONE).map((z) => zone(z, true)),
        ...unavailable.filter((z) => z !== INTERNAL_ZONE).map((z) => zone(z, false)),
      ],
    };
  });
  router.get('/os-availability-zone/detail', async (ctx) => {
    authorize(ctx, 'os_compute_api:os-availability-zone:detail', 'admin');
    const services = await serviceRecords(s);
    const { available, unavailable } = zonesOf(services);
    const hostsOf = (zoneName: string) => {
      const hosts: Record<string, Record<string, { available: boolean; active: boolean; updated_at: string | null }>> = {};
      for (const r of services.filter((x) => x.zone === zoneName && !x.disabled)) {
        (hosts[r.host] ??= {})[r.binary] = { available: r.up, active: true, updated_at: isoMicros(r.updatedAt) };
      }
      return hosts;
    };
    ctx.body = {
      availabilityZoneInfo: [
        ...available.map((zoneName) => ({ zoneName, zoneState: { available: true }, hosts: hostsOf(zoneName) })),
        ...unavailable.map((zoneName) => ({ zoneName, zoneState: { available: false }, hosts: null })),
      ],
    };
  });
  return router;
}
