import Router from '@koa/router';
import type { HostRow } from '../../../models/index.js';
import { dbBool } from '../../db-values.js';
import { authorize, isoMicros, type ComputeServices, type ComputeState } from '../services.js';
import { isUp } from './services.js';

/** os-availability-zone: the zones of the compute hosts; the detail (admins) names each host's service. */
export function availabilityZoneRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();
  const hosts = async () => (await s.models.Host.findAll({ order: [['name', 'ASC']] })).map((r) => r.get({ plain: true }) as HostRow);
  const zones = (all: HostRow[]) => [...new Set(all.map((h) => h.availability_zone))].sort();
  router.get('/os-availability-zone', async (ctx) => {
    authorize(ctx, 'os_compute_api:os-availability-zone:list', 'reader');
    const all = await hosts();
    const now = s.clock.now();
    ctx.body = {
      availabilityZoneInfo: zones(all).map((zoneName) => ({
        zoneName, zoneState: { available: all.some((h) => h.availability_zone === zoneName && isUp(h, now, s.serviceDownMs)) }, hosts: null,
      })),
    };
  });
  router.get('/os-availability-zone/detail', async (ctx) => {
    authorize(ctx, 'os_compute_api:os-availability-zone:detail', 'admin');
    const all = await hosts();
    const now = s.clock.now();
    ctx.body = {
      availabilityZoneInfo: zones(all).map((zoneName) => {
        const members = all.filter((h) => h.availability_zone === zoneName);
        return {
          zoneName, zoneState: { available: members.some((h) => isUp(h, now, s.serviceDownMs)) },
          hosts: Object.fromEntries(members.map((h) => [h.name, {
            'nova-compute': { available: isUp(h, now, s.serviceDownMs), active: !dbBool(h.service_disabled), updated_at: isoMicros(h.last_seen_at) },
          }])),
        };
      }),
    };
  });
  return router;
}
