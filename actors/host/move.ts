import type { Static } from '@sinclair/typebox';
import type { HandlerContext, Outcome } from '../../runtime/kind.js';
import { ref } from '../../runtime/ref.js';
import type { LibvirtConnection } from '../../drivers/libvirt/connection.js';
import { HypervisorUnavailable } from '../../drivers/libvirt/errors.js';
import { fits, freeOf, type HostRow } from '../../models/host.js';
import { sourceOf, type RealGuests } from './domain-spec.js';
import type { moveMessages } from './move-protocol.js';
import { claimed, released } from './state.js';

// A host's part in moving a server. Each step is idempotent (domains named by the server's UUID), so a
// redelivered one does the same again; each passes the move on to the next host or reports to the instance.

type Messages = typeof moveMessages;
type Payload<T extends keyof Messages> = Static<Messages[T]['payload']>;
type Handler<T extends keyof Messages> = (
  state: HostRow | null,
  payload: Payload<T>,
  ctx: HandlerContext,
) => Outcome<HostRow> | Promise<Outcome<HostRow>>;

interface Deps {
  readonly hypervisor: (uri: string) => LibvirtConnection;
  readonly realGuests?: (host: string) => RealGuests | undefined;
  readonly hypervisorRetryMs?: number;
  /** TEST-ONLY fault hook (faults.spawnDelayMs): holds the steps that carry a guest across, so a test can kill the node meanwhile. */
  readonly holdSpawn?: (host: string) => Promise<void>;
}

const RUNNING = 1;

export function moveHandlers(
  deps: Deps,
  known: (state: HostRow | null, ctx: HandlerContext) => HostRow,
  down: (host: HostRow, error: Error, ctx: HandlerContext) => HostRow,
): { readonly [T in keyof Messages]: Handler<T> } {
  const instance = (uuid: string) => ref('instance', uuid);
  const hv = (h: HostRow) => deps.hypervisor(h.libvirt_uri);
  const spec = (h: HostRow, g: { instance_uuid: string; memory_mb: number; vcpus: number; image_ref?: string }) =>
    sourceOf({ uuid: g.instance_uuid, memory_mb: g.memory_mb, vcpus: g.vcpus, image_ref: g.image_ref }, deps.realGuests?.(h.name));
  /** A step that failed on the hypervisor: the instance hears why; an unreachable one marks this host down. */
  const failed = (h: HostRow, g: { instance_uuid: string; migration_uuid: string }, error: unknown, ctx: HandlerContext) => {
    ctx.send(instance(g.instance_uuid), 'moveFailed', { migration_uuid: g.migration_uuid, message: `${(error as Error).message}`.slice(0, 1024) });
    return error instanceof HypervisorUnavailable ? { state: down(h, error, ctx) } : {};
  };
  /** Whether the instance still has this move under way: one that timed out or failed meanwhile goes no further. */
  const underWay = (g: { instance_uuid: string; migration_uuid: string }, ctx: HandlerContext) =>
    ctx.ask<boolean>(instance(g.instance_uuid), 'moveCurrent', { migration_uuid: g.migration_uuid });
  /** The destination's side of a move given up: its copy of the guest gone (one never made is fine), its claim freed. */
  const abandon = async (h: HostRow, g: { instance_uuid: string; vcpus: number; memory_mb: number; disk_gb: number }, ctx: HandlerContext) => {
    await hv(h).remove(g.instance_uuid);
    ctx.log.info({ host: h.name, instance: g.instance_uuid }, 'abandoned move undone on its destination');
    return released(h, g, ctx.now);
  };
  const guestOf = <G extends { instance_uuid: string; migration_uuid: string; vcpus: number; memory_mb: number; disk_gb: number }>(g: G) => ({
    instance_uuid: g.instance_uuid,
    migration_uuid: g.migration_uuid,
    vcpus: g.vcpus,
    memory_mb: g.memory_mb,
    disk_gb: g.disk_gb,
  });
  /** Defines the guest here (started when it ran); answers its power state. */
  const place = async (h: HostRow, g: Parameters<typeof spec>[1], running: boolean) => {
    const domain = running ? await hv(h).ensureRunning(spec(h, g)) : await hv(h).define(spec(h, g));
    return domain.powerState;
  };
  /** Said when the hold begins, so a test knows the step is on its host and nothing of it is done yet. */
  const hold = async (h: HostRow, step: string, instance_uuid: string, ctx: HandlerContext) => {
    if (!deps.holdSpawn) return;
    ctx.log.info({ host: h.name, instance: instance_uuid, step }, 'move step held (test-only fault)');
    await deps.holdSpawn(h.name);
  };
  return {
    prepResize: async (state, p, ctx) => {
      const h = known(state, ctx);
      if (!(await underWay(p, ctx))) return {};
      if (h.service_disabled || h.forced_down || !fits(freeOf(h), p)) {
        ctx.send(instance(p.instance_uuid), 'moveFailed', {
          migration_uuid: p.migration_uuid,
          message: `Insufficient compute resources on ${h.name}.`,
        });
        return {};
      }
      ctx.send(instance(p.instance_uuid), 'moveProgress', { migration_uuid: p.migration_uuid, task_state: 'resize_migrating' });
      const { source, ...rest } = p;
      ctx.send(ref('host', source), 'resizeMigrate', { ...rest, dest: h.name });
      return { state: claimed(h, p, ctx.now) };
    },
    resizeMigrate: async (state, { dest, ...p }, ctx) => {
      const h = known(state, ctx);
      // Given up meanwhile: the guest stays here, the destination lets go of its claim.
      if (!(await underWay(p, ctx))) {
        ctx.send(ref('host', dest), 'abandonMove', guestOf(p));
        return {};
      }
      try {
        await hv(h).remove(p.instance_uuid);
      } catch (error) {
        ctx.send(ref('host', dest), 'abandonMove', guestOf(p));
        return failed(h, p, error, ctx);
      }
      ctx.send(instance(p.instance_uuid), 'moveProgress', { migration_uuid: p.migration_uuid, task_state: 'resize_migrated' });
      ctx.send(ref('host', dest), 'finishResize', p);
      return {};
    },
    finishResize: async (state, p, ctx) => {
      const h = known(state, ctx);
      // The guest has left its source and is not yet on its destination: the step a crash hurts most.
      await hold(h, 'finishResize', p.instance_uuid, ctx);
      if (!(await underWay(p, ctx))) return { state: await abandon(h, p, ctx) };
      try {
        const power = await place(h, p, p.running);
        ctx.send(instance(p.instance_uuid), 'moveFinished', { migration_uuid: p.migration_uuid, power_state: power });
      } catch (error) {
        const outcome = failed(h, p, error, ctx);
        if (error instanceof HypervisorUnavailable) return outcome;
        return { state: await abandon(h, p, ctx) };
      }
      return {};
    },
    dropSource: (state, { request_id, ...p }, ctx) => {
      const h = known(state, ctx);
      ctx.send(instance(p.instance_uuid), 'resizeConfirmed', { migration_uuid: p.migration_uuid, request_id });
      return { state: released(h, p, ctx.now) };
    },
    dropDest: async (state, { source, old, ...p }, ctx) => {
      const h = known(state, ctx);
      try {
        await hv(h).remove(p.instance_uuid);
      } catch (error) {
        if (error instanceof HypervisorUnavailable) return { state: down(h, error, ctx) };
        throw error;
      }
      ctx.send(ref('host', source), 'finishRevert', { ...p, ...old });
      return { state: released(h, p, ctx.now) };
    },
    finishRevert: async (state, { request_id, ...p }, ctx) => {
      const h = known(state, ctx);
      const power = await place(h, p, p.running);
      ctx.send(instance(p.instance_uuid), 'resizeReverted', { migration_uuid: p.migration_uuid, request_id, power_state: power });
      return {};
    },
    liveIn: async (state, { source, paused, force, ...p }, ctx) => {
      const h = known(state, ctx);
      if (!(await underWay(p, ctx))) return {};
      // A forced destination skipped the scheduler: Nova's claim on it still has to fit.
      if (!fits(freeOf(h), p)) {
        ctx.send(instance(p.instance_uuid), 'moveFailed', {
          migration_uuid: p.migration_uuid,
          message: `Insufficient compute resources on ${h.name}${force ? ' (forced destination)' : ''}.`,
        });
        return {};
      }
      let power = RUNNING;
      try {
        power = await place(h, p, true);
        if (paused) power = (await hv(h).pause(p.instance_uuid)).powerState;
      } catch (error) {
        await hv(h)
          .remove(p.instance_uuid)
          .catch(() => {});
        return failed(h, p, error, ctx);
      }
      const { image_ref: _image, ...out } = p;
      ctx.send(ref('host', source), 'liveOut', { ...out, dest: h.name, power_state: power });
      return { state: claimed(h, p, ctx.now) };
    },
    evacuateIn: async (state, { running, ...p }, ctx) => {
      const h = known(state, ctx);
      if (h.service_disabled || h.forced_down || !fits(freeOf(h), p)) {
        ctx.send(instance(p.instance_uuid), 'moveFailed', {
          migration_uuid: p.migration_uuid,
          message: `Insufficient compute resources on ${h.name}.`,
        });
        return {};
      }
      try {
        const power = await place(h, p, running);
        ctx.send(instance(p.instance_uuid), 'moveFinished', { migration_uuid: p.migration_uuid, power_state: power });
      } catch (error) {
        await hv(h)
          .remove(p.instance_uuid)
          .catch(() => {});
        return failed(h, p, error, ctx);
      }
      return { state: claimed(h, p, ctx.now) };
    },
    dropEvacuated: async (state, p, ctx) => {
      const h = known(state, ctx);
      try {
        await hv(h).remove(p.instance_uuid);
      } catch (error) {
        if (!(error instanceof HypervisorUnavailable)) throw error;
        // Its hypervisor is gone for now: the copy must not come back with it, so this waits for it, as a delete does.
        ctx.send(ctx.self, 'dropEvacuated', p, { delayMs: deps.hypervisorRetryMs ?? 2_000 });
        return { state: down(h, error, ctx) };
      }
      return { state: released(h, p, ctx.now) };
    },
    abandonMove: async (state, p, ctx) => {
      const h = known(state, ctx);
      try {
        return { state: await abandon(h, p, ctx) };
      } catch (error) {
        if (!(error instanceof HypervisorUnavailable)) throw error;
        // Its hypervisor is gone for now: the copy must not come back with it, so this waits for it, as a delete does.
        ctx.send(ctx.self, 'abandonMove', p, { delayMs: deps.hypervisorRetryMs ?? 2_000 });
        return { state: down(h, error, ctx) };
      }
    },
    liveOut: async (state, { power_state, dest, ...p }, ctx) => {
      const h = known(state, ctx);
      // The guest runs on both hosts and its destination holds a claim: held before the source lets go of it.
      await hold(h, 'liveOut', p.instance_uuid, ctx);
      // Given up meanwhile (Nova's _rollback_live_migration): the guest runs on here, the destination's copy goes.
      if (!(await underWay(p, ctx))) {
        ctx.send(ref('host', dest), 'abandonMove', guestOf(p));
        return {};
      }
      try {
        await hv(h).remove(p.instance_uuid);
      } catch (error) {
        ctx.send(ref('host', dest), 'abandonMove', guestOf(p));
        return failed(h, p, error, ctx);
      }
      ctx.send(instance(p.instance_uuid), 'moveFinished', { migration_uuid: p.migration_uuid, power_state });
      return { state: released(h, p, ctx.now) };
    },
  };
}
