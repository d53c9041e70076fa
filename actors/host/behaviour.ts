import { ImageUnacceptable } from '../../drivers/qemu/guest-disks.js';
import { ImageServiceNotReady } from '../../drivers/qemu/image-fetch.js';
import { rmSync } from 'node:fs';
import { hostAdminHandlers } from './admin.js';
import type { Behaviour, HandlerContext } from '../../runtime/kind.js';
import { reject } from '../../runtime/errors.js';
import { ref } from '../../runtime/ref.js';
import type { InstanceRow } from '../../models/instance.js';
import type { DomainStatus, LibvirtConnection } from '../../drivers/libvirt/connection.js';
import { fits, freeOf } from '../../models/host.js';
import type { hostProtocol } from './protocol.js';
import { reconcile } from './reconcile.js';
import { sourceOf, type RealGuests } from './domain-spec.js';
import { hostUptime } from '../../drivers/local/uptime.js';
import { powerHandlers, type PowerDeps } from './power.js';
import { syncHandlers } from './sync.js';
import { imageHandlers, type HostImages } from './image-ops.js';
import { moveHandlers } from './move.js';
import { HypervisorUnavailable } from '../../drivers/libvirt/errors.js';
import { consolePortTaken } from '../../drivers/qemu/serial-ports.js';
import type { GroupClaims } from './group-claims.js';
import {
  claimed,
  disabled,
  enabled,
  forcedDown,
  heartbeat,
  hypervisorBack,
  hypervisorDown,
  registered,
  released,
  reregistered,
  usageSet,
  type HostRow,
} from './state.js';

export interface HostDeps extends PowerDeps {
  /** The host's hypervisor connection (one per URI, kept open across messages). */
  readonly hypervisor: (uri: string) => LibvirtConnection;
  /** A real hypervisor's guests (their disks and consoles); undefined for a simulated host. */
  readonly realGuests?: (host: string) => RealGuests | undefined;
  /** The servers the tables place on a host (or the one server given), deleted ones left out. */
  readonly instancesOn: (host: string, uuid?: string) => Promise<InstanceRow[]>;
  /** TEST-ONLY fault hook: spawns on this host fail (the test driver cannot be made to fail one). */
  readonly failSpawn: (host: string) => boolean;
  /** TEST-ONLY fault hook: resolves when a spawn on this host may go on (a real spawn takes its time; the test driver's does not). */
  readonly holdSpawn?: (host: string) => Promise<void>;
  /** The hypervisor's current boot, when it can be told; a new one after its daemon died means its guests are gone. */
  readonly bootId?: (host: string) => string | undefined;
  /** How long a STOPPED event is held back before the server hears of it (Nova: 15 s). */
  readonly stoppedEventDelayMs?: number;
  /** A heartbeat sent longer ago than this says nothing about now (Nova's service_down_time). */
  readonly serviceDownMs?: number;
  /** The image service, for snapshots, backups and shelved images (image-ops.ts). */
  readonly images?: HostImages;
  /** Server group policies checked at claim time (group-claims.ts); the zone an aggregate gives a host. */
  readonly groupClaims?: GroupClaims;
  readonly zoneOf?: (host: string) => Promise<string | undefined>;
}

const known = (state: HostRow | null, ctx: HandlerContext): HostRow => {
  if (!state) throw reject(`host ${ctx.self.id} not found`);
  return state;
};

const changed = (next: HostRow) => ({ state: next, reply: next });

/** The host as it is once a call found its hypervisor unreachable (said once, when it goes down). */
export function down(host: HostRow, error: Error, ctx: HandlerContext): HostRow {
  if (host.status === 'down') return host;
  ctx.log.error({ host: host.name, err: error }, 'hypervisor unreachable; compute service down');
  return hypervisorDown(host, error.message, ctx.now);
}

/** How often a new real guest is started when a console port was taken meanwhile, before its build fails on this host. */
const PORT_ATTEMPTS = 3;

/**
 * Makes and starts a new server's guest. A real guest's console ports are chosen free, yet another process (a guest of
 * another daemon on this machine) may bind one before its QEMU does: then it is made again with new ports, as
 * serial-ports.ts promises, rather than its build failing here for a port.
 */
async function startNew(
  hypervisor: LibvirtConnection,
  guest: Parameters<typeof sourceOf>[0],
  real: RealGuests | undefined,
  ctx: HandlerContext,
): Promise<DomainStatus> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await hypervisor.ensureRunning(sourceOf(guest, real));
    } catch (error) {
      if (!real || attempt >= PORT_ATTEMPTS || !consolePortTaken(error)) throw error;
      ctx.log.warn({ err: error, instance: guest.uuid, attempt }, 'a console port was taken before the guest bound it; making the guest again');
      // A new definition and a new serial port file: the old ones name the port that is taken.
      await hypervisor.remove(guest.uuid);
      await real.remove(guest.uuid);
    }
  }
}

export function hostBehaviour(deps: HostDeps): Behaviour<HostRow, typeof hostProtocol.spec> {
  return {
    register: async (state, payload, ctx) => {
      let next = state ? reregistered(state, payload, ctx.now) : registered(ctx.self.id, payload, ctx.now);
      // The views show what the hypervisor itself says it is; when it cannot be asked, what was last known stays.
      const identity = await deps
        .hypervisor(next.libvirt_uri)
        .identity()
        .catch((error: Error) => {
          ctx.log.warn({ err: error }, 'the hypervisor did not say its type and version');
          return undefined;
        });
      if (identity) next = { ...next, hypervisor_type: identity.type, hypervisor_version: identity.version };
      const rebooted = Boolean(state && payload.boot_id && state.boot_id !== payload.boot_id);
      const result = await reconcile(
        deps.hypervisor(next.libvirt_uri),
        await deps.instancesOn(ctx.self.id),
        rebooted,
        ctx,
        deps.realGuests?.(ctx.self.id),
      );
      ctx.log.info(
        {
          rebooted,
          adopted: result.adopted,
          resumed: result.resumed,
          redefined: result.redefined,
          missing: result.missing,
          unknown: result.unknown.length,
        },
        'host registered',
      );
      return { state: next, reply: result };
    },
    heartbeat: async (state, { sent_at }, ctx) => {
      // A deleted compute service that is still running: Nova logs that its record is gone and reports nothing.
      if (!state) {
        ctx.log.warn({ host: ctx.self.id }, 'compute service record deleted; restart the compute service to recreate it');
        return {};
      }
      // Late or repeated: the service was known alive at a later time already, or this says nothing about now.
      const seen = state.last_seen_at ? new Date(state.last_seen_at).getTime() : -Infinity;
      if (sent_at <= seen || sent_at > ctx.now || ctx.now - sent_at > (deps.serviceDownMs ?? 60_000)) return {};
      const hypervisor = deps.hypervisor(state.libvirt_uri);
      try {
        await hypervisor.probe();
      } catch (error) {
        if (!(error instanceof HypervisorUnavailable)) throw error;
        return state.status === 'down' ? {} : { state: down(state, error, ctx) };
      }
      if (state.status !== 'down') return { state: heartbeat(state, sent_at) };
      // Back: the guests of a hypervisor that restarted are gone, and are brought back as after a reboot of it.
      const bootId = deps.bootId?.(state.name) ?? null;
      const rebooted = Boolean(bootId && state.boot_id && bootId !== state.boot_id);
      const result = await reconcile(hypervisor, await deps.instancesOn(state.name), rebooted, ctx, deps.realGuests?.(state.name));
      ctx.log.info(
        { host: state.name, rebooted, resumed: result.resumed, redefined: result.redefined, adopted: result.adopted },
        'hypervisor reachable again; compute service up',
      );
      return { state: hypervisorBack(state, bootId, sent_at) };
    },
    claim: async (state, { scheduler, ...request }, ctx) => {
      const retry = (last_error: string) =>
        ctx.send(ref('instance', request.instance_uuid), 'build', {
          scheduler,
          tried: [...request.tried, ctx.self.id],
          attempt: request.attempt + 1,
          last_error,
          ...(request.server_group ? { server_group: request.server_group } : {}),
          ...(request.host_hints ? { host_hints: request.host_hints } : {}),
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
      const group = (request.server_group && (await deps.groupClaims?.check(host.name, request.instance_uuid))) || {};
      if ('refusal' in group) {
        retry(group.refusal);
        return {};
      }
      const hypervisor = deps.hypervisor(host.libvirt_uri);
      if (deps.holdSpawn) {
        // Said when the hold begins, so a test knows the claim is on its host and no domain is made yet.
        ctx.log.info({ host: host.name, instance: request.instance_uuid }, 'spawn held (test-only fault)');
        await deps.holdSpawn(host.name);
      }
      try {
        const domain = await startNew(hypervisor, { uuid: request.instance_uuid, ...request }, deps.realGuests?.(host.name), ctx);
        // Injected once the guest exists, as a real late failure would leave it, so the cleanup below has it to remove.
        if (deps.failSpawn(host.name)) throw new Error('injected spawn failure (test-only fault)');
        ctx.send(ref('instance', request.instance_uuid), 'spawned', {
          host: host.name,
          node: host.name,
          power_state: domain.powerState,
          availability_zone: (await deps.zoneOf?.(host.name)) ?? host.availability_zone,
        });
        if (group.member) ctx.record('ServerGroupMember', group.member);
        return { state: claimed(host, request, ctx.now) };
      } catch (error) {
        // Nova's build failure path: clean up what was made, then let the scheduler try another host.
        deps.groupClaims?.forget(host.name, request.instance_uuid);
        await hypervisor.remove(request.instance_uuid).catch(() => {});
        await deps
          .realGuests?.(host.name)
          ?.remove(request.instance_uuid)
          .catch(() => {});
        const cause = (error as Error).cause;
        if (error instanceof ImageServiceNotReady || cause instanceof ImageServiceNotReady) {
          // A claim redelivered as the node starts, before its image service listens: the same claim again shortly.
          ctx.send(ctx.self, 'claim', { scheduler, ...request }, { delayMs: deps.hypervisorRetryMs ?? 2_000 });
          return {};
        }
        if (error instanceof ImageUnacceptable || cause instanceof ImageUnacceptable) {
          // Nova's BuildAbortException: an image no host can use fails the build here, with its fault, and is not rescheduled.
          ctx.log.warn({ err: error, instance: request.instance_uuid }, 'build aborted: image unacceptable');
          const message = `Build of instance ${request.instance_uuid} aborted: ${(error as Error).message}`;
          ctx.send(ref('instance', request.instance_uuid), 'buildFailed', { code: 500, message: message.slice(0, 255), details: message });
          return {};
        }
        ctx.log.warn({ err: error, instance: request.instance_uuid }, 'spawn failed; rescheduling');
        retry(`Build of instance ${request.instance_uuid} on ${host.name} failed: ${(error as Error).message}`.slice(0, 1024));
        return error instanceof HypervisorUnavailable ? { state: down(host, error, ctx) } : {};
      }
    },
    release: async (state, request, ctx) => {
      const host = known(state, ctx);
      try {
        await deps.hypervisor(host.libvirt_uri).remove(request.instance_uuid);
      } catch (error) {
        if (!(error instanceof HypervisorUnavailable)) throw error;
        // A delete waits for its hypervisor: done once the daemon answers again, so its guest never comes back.
        ctx.send(ctx.self, 'release', request, { delayMs: deps.hypervisorRetryMs ?? 2_000 });
        return { state: down(host, error, ctx) };
      }
      // A suspended server's saved memory goes with it, and a real guest's disk and logs.
      if (deps.savePath) rmSync(deps.savePath(host.name, request.instance_uuid), { force: true });
      await deps.realGuests?.(host.name)?.remove(request.instance_uuid);
      ctx.send(ref('instance', request.instance_uuid), 'released', {});
      deps.groupClaims?.forget(host.name, request.instance_uuid);
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
    ...hostAdminHandlers(deps, known),
    ...powerHandlers(deps, known, down),
    ...syncHandlers(deps, known, down),
    ...imageHandlers(deps, known),
    ...moveHandlers(deps, known, down),
  };
}
