import Router from '@koa/router';
import type { HostRow, SchedulerRow } from '../../../models/index.js';
import { serviceUp } from '../../../models/host.js';
import { dbBool } from '../../db-values.js';
import { authorize, isoMicros, type ComputeServices, type ComputeState } from '../services.js';
import { idAt } from '../views/ids.js';

/** A compute service's state as os-services shows it: up unless failed, forced down or silent too long (disabled is a status, not a state). */
export const isUp = (h: HostRow, now: number, serviceDownMs: number) => serviceUp({ ...h, service_disabled: false }, now, serviceDownMs);

/**
 * os-services, named as Nova names them so scripts filtering by binary keep working: a
 * `nova-compute` per host, and per scheduler node a `nova-scheduler` and a `nova-conductor`
 * (Stratus has no separate conductor: the node that schedules also conducts).
 */
export function serviceRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();
  router.get('/os-services', async (ctx) => {
    authorize(ctx, 'os_compute_api:os-services:list', 'admin');
    const v = ctx.state.version;
    const now = s.clock.now();
    const hosts = (await s.models.Host.findAll({ order: [['name', 'ASC']] })).map((r) => r.get({ plain: true }) as HostRow);
    const schedulers = (await s.models.Scheduler.findAll({ order: [['name', 'ASC']] })).map((r) => r.get({ plain: true }) as SchedulerRow);
    const row = (binary: string, host: string, zone: string, up: boolean, updated: Date | null, disabled = false, reason: string | null = null, forced = false) => ({
      id: idAt(v.atLeast('2.53'), `service/${binary}/${host}`), binary, host, zone,
      status: disabled ? 'disabled' : 'enabled', state: up ? 'up' : 'down', updated_at: isoMicros(updated), disabled_reason: reason,
      ...(v.atLeast('2.11') ? { forced_down: forced } : {}),
    });
    let services = [
      ...schedulers.flatMap((sc) => {
        const up = now - new Date(sc.updated_at).getTime() <= s.serviceDownMs;
        return [row('nova-scheduler', sc.name, 'internal', up, sc.updated_at), row('nova-conductor', sc.name, 'internal', up, sc.updated_at)];
      }),
      ...hosts.map((h) => row('nova-compute', h.name, h.availability_zone, isUp(h, now, s.serviceDownMs), h.last_seen_at,
        dbBool(h.service_disabled), h.disabled_reason, dbBool(h.forced_down))),
    ];
    const { host, binary } = ctx.query as Record<string, string | undefined>;
    if (host) services = services.filter((x) => x.host === host);
    if (binary) services = services.filter((x) => x.binary === binary);
    ctx.body = { services };
  });
  return router;
}
