import Router from '@koa/router';
import * as actions from '../../../services/compute/admin-actions.js';
import { NovaFault, notFound } from '../errors.js';
import { checkBody } from '../json-schema.js';
import * as schemas from '../schemas/misc.js';
import type { ComputeContext, ComputeServices, ComputeState } from '../services.js';

// The small server actions of issue 18 (dispatched from POST /servers/{id}/action) and
// GET /servers/{id}/diagnostics.

type ActionHandler = (s: ComputeServices, ctx: ComputeContext, body: Record<string, unknown>) => Promise<void>;

const GONE = 'This resource is no longer available.  No forwarding address is given.';

export const ADMIN_ACTIONS: Readonly<Record<string, ActionHandler>> = {
  // Removed with nova-network: 410 before the server is even looked up.
  resetNetwork: () => Promise.reject(new NovaFault(410, GONE)),
  injectNetworkInfo: (s, ctx) => actions.injectNetworkInfo(s, ctx.state, ctx.params.id),
  'os-resetState': async (s, ctx, body) => {
    checkBody(schemas.resetState, body);
    const { state } = body['os-resetState'] as { state: 'active' | 'error' };
    await actions.resetState(s, ctx.state, ctx.params.id, state);
  },
  changePassword: async (s, ctx, body) => {
    checkBody(schemas.changePassword, body);
    await actions.changePassword(s, ctx.state, ctx.params.id);
  },
  // os-deferred-delete: the body's value is not looked at.
  restore: (s, ctx) => actions.restoreServer(s, ctx.state, ctx.params.id),
  forceDelete: (s, ctx) => actions.forceDeleteServer(s, ctx.state, ctx.params.id),
  trigger_crash_dump: async (s, ctx, body) => {
    // Nova's method exists from 2.17; below it the action is not found (404, no message of its own).
    if (!ctx.state.version.atLeast('2.17')) throw notFound('The resource could not be found.');
    checkBody(schemas.triggerCrashDump, body);
    await actions.triggerCrashDump(s, ctx.state, ctx.params.id);
  },
};

/** Nova's power_state names (nova/compute/power_state.py STATE_MAP). */
const STATE_NAMES: Record<number, string> = { 0: 'pending', 1: 'running', 3: 'paused', 4: 'shutdown', 6: 'crashed', 7: 'suspended' };

export function diagnosticsRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();
  router.get('/servers/:id/diagnostics', async (ctx) => {
    const { server, guest } = await actions.serverDiagnostics(s, ctx.state, ctx.params.id);
    // Before 2.48 the driver's own dict: the libvirt driver's holds the domain's maximum memory (KiB) when it
    // has no CPU, disk or interface statistics to add.
    if (!ctx.state.version.atLeast('2.48')) {
      ctx.body = { memory: guest.max_memory_kib };
      return;
    }
    const launched = server.launched_at ? new Date(server.launched_at).getTime() : s.clock.now();
    // Per-vCPU, block and interface statistics are not in our binding yet: left out, as Nova's driver leaves out
    // what libvirt refuses. Memory is KiB divided by 2^20, as Nova's driver divides it.
    ctx.body = {
      state: STATE_NAMES[guest.power_state] ?? 'pending',
      driver: 'libvirt',
      hypervisor: guest.virt_type,
      hypervisor_os: 'linux',
      uptime: Math.max(0, Math.trunc((s.clock.now() - launched) / 1000)),
      config_drive: server.config_drive === 'True',
      num_cpus: 0,
      num_nics: 0,
      num_disks: 0,
      disk_details: [],
      cpu_details: [],
      nic_details: [],
      memory_details: { maximum: Math.trunc(guest.max_memory_kib / 1048576), used: Math.trunc(guest.memory_kib / 1048576) },
    };
  });
  return router;
}
