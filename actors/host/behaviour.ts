import { rmSync } from 'node:fs';
import type { Behaviour, HandlerContext } from '../../runtime/kind.js';
import { reject } from '../../runtime/errors.js';
import { ref } from '../../runtime/ref.js';
import type { InstanceRow } from '../../models/instance.js';
import type { LibvirtConnection } from '../../drivers/libvirt/connection.js';
import { fits, freeOf } from '../../models/host.js';
import type { hostProtocol } from './protocol.js';
import { reconcile } from './reconcile.js';
import { specOf } from './domain-spec.js';
import { hostUptime } from '../../drivers/local/uptime.js';
import { powerHandlers, type PowerDeps } from './power.js';
import { claimed, disabled, enabled, forcedDown, heartbeat, registered, released, reregistered, usageSet, type HostRow } from './state.js';

export interface HostDeps extends PowerDeps {
  /** The host's hypervisor connection (one per URI, kept open across messages). */
  readonly hypervisor: (uri: string) => LibvirtConnection;
  /** The servers the tables place on a host, deleted ones left out. */
  readonly instancesOn: (host: string) => Promise<InstanceRow[]>;
  /** TEST-ONLY fault hook: spawns on this host fail (the test driver cannot be made to fail one). */
  readonly failSpawn: (host: string) => boolean;
}

const known = (state: HostRow | null, ctx: HandlerContext): HostRow => {
  if (!state) throw reject(`host ${ctx.self.id} not found`);
  return state;
};

const changed = (next: HostRow) => ({ state: next, reply: next });

export function hostBehaviour(deps: HostDeps): Behaviour<HostRow, typeof hostProtocol.spec> {
  return {
    register: async (state, payload, ctx) => {
      const next = state ? reregistered(state, payload, ctx.now) : registered(ctx.self.id, payload, ctx.now);
      const rebooted = Boolean(state && payload.boot_id && state.boot_id !== payload.boot_id);
      const result = await reconcile(deps.hypervisor(next.libvirt_uri), await deps.instancesOn(ctx.self.id), rebooted, ctx);
      ctx.log.info({ rebooted, adopted: result.adopted, resumed: result.resumed, redefined: result.redefined, missing: result.missing, unknown: result.unknown.length }, 'host registered');
      return { state: next, reply: result };
    },
    heartbeat: (state, _payload, ctx) => {
      // A deleted compute service that is still running: Nova logs that its record is gone and reports nothing.
      if (!state) {
        ctx.log.warn({ host: ctx.self.id }, 'compute service record deleted; restart the compute service to recreate it');
        return {};
      }
      return { state: heartbeat(state, ctx.now) };
    },
    claim: async (state, { scheduler, ...request }, ctx) => {
      const retry = (last_error: string) => ctx.send(ref('instance', request.instance_uuid), 'build', {
        scheduler, tried: [...request.tried, ctx.self.id], attempt: request.attempt + 1, last_error,
      });
      if (!state) {
        retry(`Compute host ${ctx.self.id} could not be found.`);
        return {};
      }
      const host = state;
      // The scheduler's picture of the hosts may be a moment old: an operator's disable or force-down wins over it.
      if (host.service_disabled || host.forced_down) {
        retry(`Compute service of ${host.name} is ${host.forced_down ? 'forced down' : 'disabled'}.`);
        return {};
      }
      if (!fits(freeOf(host), request)) {
        retry(`Insufficient compute resources on ${host.name}.`);
        return {};
      }
      const hypervisor = deps.hypervisor(host.libvirt_uri);
      try {
        const domain = await hypervisor.ensureRunning(specOf({ uuid: request.instance_uuid, ...request }, host.libvirt_uri));
        // Injected once the guest exists, as a real late failure would leave it, so the cleanup below has it to remove.
        if (deps.failSpawn(host.name)) throw new Error('injected spawn failure (test-only fault)');
        ctx.send(ref('instance', request.instance_uuid), 'spawned', {
          host: host.name, node: host.name, power_state: domain.powerState, availability_zone: host.availability_zone,
        });
        return { state: claimed(host, request, ctx.now) };
      } catch (error) {
        // Nova's build failure path: clean up what was made, then let the scheduler try another host.
        await hypervisor.remove(request.instance_uuid).catch(() => {});
        ctx.log.warn({ err: error, instance: request.instance_uuid }, 'spawn failed; rescheduling');
        retry(`Build of instance ${request.instance_uuid} on ${host.name} failed: ${(error as Error).message}`.slice(0, 1024));
        return {};
      }
    },
    release: async (state, request, ctx) => {
      const host = known(state, ctx);
      await deps.hypervisor(host.libvirt_uri).remove(request.instance_uuid);
      // A suspended server's saved memory goes with it.
      if (deps.savePath) rmSync(deps.savePath(host.name, request.instance_uuid), { force: true });
      ctx.send(ref('instance', request.instance_uuid), 'released', {});
      return { state: released(host, request, ctx.now) };
    },
    setUsage: (state, usage, ctx) => changed(usageSet(known(state, ctx), usage, ctx.now)),
    disable: (state, { reason }, ctx) => changed(disabled(known(state, ctx), reason, ctx.now)),
    enable: (state, _payload, ctx) => changed(enabled(known(state, ctx), ctx.now)),
    forceDown: (state, { forced_down }, ctx) => changed(forcedDown(known(state, ctx), forced_down, ctx.now)),
    deregister: async (state, _payload, ctx) => {
      const host = known(state, ctx);
      // running_vms counts claims whose servers may not name the host yet.
      const hosting = Math.max(host.running_vms, (await deps.instancesOn(host.name)).length);
      if (hosting) throw reject(`host ${host.name} holds ${hosting} servers`, { hosting });
      ctx.log.info({ host: host.name }, 'compute service deleted');
      return { state: null, reply: {} };
    },
    uptime: async (state, _payload, ctx) => {
      known(state, ctx);
      try {
        return { reply: { uptime: await hostUptime() } };
      } catch (error) {
        throw reject(`uptime unavailable: ${(error as Error).message}`, { unsupported: true });
      }
    },
    get: (state, _payload, ctx) => ({ reply: known(state, ctx) }),
    ...powerHandlers(deps, known),
  };
}
