import { rmSync } from 'node:fs';
import type { Static } from '@sinclair/typebox';
import type { HandlerContext, Outcome } from '../../runtime/kind.js';
import { ref } from '../../runtime/ref.js';
import type { DomainStatus, LibvirtConnection } from '../../drivers/libvirt/connection.js';
import { PowerState } from '../../drivers/libvirt/power-state.js';
import type { HostRow } from '../../models/host.js';
import { sourceOf, type RealGuests } from './domain-spec.js';
import type { powerMessages } from './power-protocol.js';
import { HypervisorUnavailable } from '../../drivers/libvirt/errors.js';
import { consolePortTaken } from '../../drivers/qemu/serial-ports.js';

// Power operations on a host's domains, as Nova's compute manager and libvirt driver carry them out.
// A guest asked to shut down is not waited for in the handler: the host looks again through a
// delayed message to itself, so its mailbox keeps moving while guests take their time.

export interface PowerDeps {
  /** How long a stop waits for the guest to shut down before destroying it (Nova's shutdown_timeout). */
  readonly cleanShutdownMs?: number;
  /** How long a soft reboot waits before it becomes a hard one (Nova's libvirt.wait_soft_reboot_seconds). */
  readonly softRebootMs?: number;
  /** Where a suspended server's memory is saved on this host. */
  readonly savePath?: (host: string, uuid: string) => string;
  /** TEST-ONLY fault hook: guests on this host ignore shutdown requests (the test driver's always obey). */
  readonly ignoresShutdown?: (host: string) => boolean;
  /** How often an operation whose hypervisor did not answer is tried again. */
  readonly hypervisorRetryMs?: number;
  /** How long a power operation waits for an unreachable hypervisor before it fails with a fault. */
  readonly hypervisorWaitMs?: number;
}

type Order = Static<typeof powerMessages.power.payload>;
type Check = Static<typeof powerMessages.shutdownCheck.payload>;
type Deps = PowerDeps & {
  readonly hypervisor: (uri: string) => LibvirtConnection;
  readonly realGuests?: (host: string) => RealGuests | undefined;
};

// Nova looks at a guest shutting down once a second and asks it again every shutdown_retry_interval (10 s).
const POLL_MS = 1_000;
const RESEND_MS = 10_000;

const isOff = (s: DomainStatus | undefined) => !s || s.powerState === PowerState.SHUTDOWN || s.powerState === PowerState.CRASHED;

interface Target {
  readonly host: HostRow;
  readonly hv: LibvirtConnection;
  readonly ctx: HandlerContext;
  readonly deps: Deps;
}

function savePath(t: Target, uuid: string): string {
  if (!t.deps.savePath) throw new Error('this host has no directory for saved guests');
  return t.deps.savePath(t.host.name, uuid);
}

const specFor = (t: Target, o: Order | Check) =>
  sourceOf({ uuid: o.instance_uuid, memory_mb: o.memory_mb, vcpus: o.vcpus }, t.deps.realGuests?.(t.host.name));

function report(t: Target, o: Order | Check, powerState: number, error?: Error): void {
  t.ctx.send(ref('instance', o.instance_uuid), 'powerDone', {
    op: o.op,
    request_id: o.request_id,
    power_state: powerState,
    ...(error ? { error: { message: error.message.slice(0, 65_535), ...(error.stack ? { traceback: error.stack.slice(0, 65_535) } : {}) } } : {}),
  });
}

/** How often a real guest is started again after one of its console ports turned out taken. */
const PORT_ATTEMPTS = 3;

/**
 * Starts a guest that exists (power on, hard reboot, the end of a soft one). A real guest's serial port may have been
 * taken while it was off (by another daemon's guest on this machine): it gets a new one and is started again; a taken
 * VNC or SPICE port is chosen afresh by autoport on the next start anyway.
 */
async function startExisting(t: Target, o: Order | Check): Promise<DomainStatus> {
  const real = t.deps.realGuests?.(t.host.name);
  for (let attempt = 1; ; attempt++) {
    try {
      return await t.hv.ensureRunning(specFor(t, o));
    } catch (error) {
      if (!real || attempt >= PORT_ATTEMPTS || !consolePortTaken(error)) throw error;
      t.ctx.log.warn({ err: error, instance: o.instance_uuid, attempt }, 'a console port of the guest was taken; starting it on new ones');
      await t.hv.setSerialPort(o.instance_uuid, await real.newSerialPort(o.instance_uuid));
    }
  }
}

/** Ends a shutdown: a stop leaves the domain off (destroyed if it had to be), a soft reboot starts it again. */
async function finishShutdown(t: Target, o: Order | Check, status: DomainStatus | undefined): Promise<number> {
  // A domain gone meanwhile (the server deleted) is not brought back.
  if (!status) return PowerState.NOSTATE;
  const off = isOff(status) ? status : await t.hv.destroy(o.instance_uuid);
  if (o.op === 'stop') return off?.powerState ?? PowerState.NOSTATE;
  return (await startExisting(t, o)).powerState;
}

/** Asks the guest to shut down; answers its power state when that is the end of it, else arranges to look again. */
async function beginShutdown(t: Target, o: Order & { op: 'stop' | 'soft_reboot' }): Promise<number | undefined> {
  // A stop waits as long as the guest's image asks (os_shutdown_timeout, kept in its domain), else Nova's shutdown_timeout.
  const own = o.op === 'stop' ? await t.hv.shutdownTimeoutS(o.instance_uuid) : undefined;
  const waitMs = o.op === 'stop' ? (own !== undefined ? own * 1000 : (t.deps.cleanShutdownMs ?? 60_000)) : (t.deps.softRebootMs ?? 120_000);
  const before = await t.hv.status(o.instance_uuid);
  // Nothing to wait for: no guest running (a soft reboot of one then starts it), or no time to wait.
  if (!before || before.powerState !== PowerState.RUNNING || waitMs <= 0) return finishShutdown(t, o, before);
  const ignored = t.deps.ignoresShutdown?.(t.host.name) ?? false;
  const after = ignored ? before : await t.hv.shutdown(o.instance_uuid);
  if (isOff(after)) return finishShutdown(t, o, after);
  const now = t.ctx.now;
  // An unreachable hypervisor's wait, if this order had one, is over: the checks start their own.
  const { unreachable_until: _waited, ...order } = o;
  lookAgain(t, { ...order, domain_id: before.id, deadline: now + waitMs, resend_at: now + RESEND_MS });
  if (o.op === 'soft_reboot') t.ctx.send(ref('instance', o.instance_uuid), 'powerProgress', { op: o.op, request_id: o.request_id });
  return undefined;
}

const lookAgain = (t: Target, c: Check) =>
  t.ctx.send(t.ctx.self, 'shutdownCheck', c, { delayMs: Math.max(1, Math.min(POLL_MS, c.deadline - t.ctx.now)) });

/** Carries out one order on the domain; answers the power state to report, or undefined while a shutdown runs. */
async function carryOut(t: Target, o: Order): Promise<number | undefined> {
  const uuid = o.instance_uuid;
  switch (o.op) {
    case 'start':
      return (await startExisting(t, o)).powerState;
    case 'hard_reboot':
      // Nova's hard reboot defines the guest afresh: a saved memory image is dropped, not resumed.
      if (t.deps.savePath) rmSync(savePath(t, uuid), { force: true });
      await t.hv.discardSave(uuid);
      await t.hv.destroy(uuid);
      return (await startExisting(t, o)).powerState;
    case 'pause':
      return (await t.hv.pause(uuid)).powerState;
    case 'unpause':
      return (await t.hv.unpause(uuid)).powerState;
    case 'suspend':
      return (await t.hv.save(uuid, savePath(t, uuid))).powerState;
    case 'resume':
      return (await t.hv.restore(specFor(t, o), savePath(t, uuid))).powerState;
    case 'stop':
    case 'soft_reboot':
      return beginShutdown(t, o as Order & { op: 'stop' | 'soft_reboot' });
  }
}

/** A failure is reported with the domain's power state as it is found, as Nova's reverts do. */
async function failed(t: Target, o: Order | Check, error: unknown): Promise<void> {
  t.ctx.log.warn({ err: error, instance: o.instance_uuid, op: o.op }, 'power operation failed');
  const status = await t.hv.status(o.instance_uuid).catch(() => undefined);
  report(t, o, status?.powerState ?? PowerState.NOSTATE, error instanceof Error ? error : new Error(String(error)));
}

type Down = (host: HostRow, error: Error, ctx: HandlerContext) => HostRow;

/**
 * An operation whose hypervisor did not answer: sent to itself again a moment later while the
 * daemon may come back, failed with a fault (the server's task cleared) once that wait is over.
 */
function unreachable(t: Target, o: Order | Check, type: 'power' | 'shutdownCheck', error: HypervisorUnavailable, down: Down): Outcome<HostRow> {
  const until = o.unreachable_until ?? t.ctx.now + (t.deps.hypervisorWaitMs ?? 120_000);
  if (t.ctx.now < until) {
    t.ctx.send(t.ctx.self, type, { ...o, unreachable_until: until }, { delayMs: t.deps.hypervisorRetryMs ?? 2_000 });
  } else {
    report(t, o, PowerState.NOSTATE, new Error(`Compute host ${t.host.name} could not reach its hypervisor: ${error.cause.message}`));
  }
  return { state: down(t.host, error, t.ctx) };
}

export function powerHandlers(deps: Deps, known: (state: HostRow | null, ctx: HandlerContext) => HostRow, down: Down) {
  const target = (state: HostRow | null, ctx: HandlerContext): Target => {
    const host = known(state, ctx);
    return { host, hv: deps.hypervisor(host.libvirt_uri), ctx, deps };
  };
  return {
    power: async (state: HostRow | null, order: Order, ctx: HandlerContext): Promise<Outcome<HostRow>> => {
      const t = target(state, ctx);
      try {
        const powerState = await carryOut(t, order);
        if (powerState !== undefined) report(t, order, powerState);
      } catch (error) {
        if (error instanceof HypervisorUnavailable) return unreachable(t, order, 'power', error, down);
        await failed(t, order, error);
      }
      // A server keeps its host's resources whatever its power state, as Nova's claims do.
      return {};
    },
    shutdownCheck: async (state: HostRow | null, check: Check, ctx: HandlerContext): Promise<Outcome<HostRow>> => {
      const t = target(state, ctx);
      try {
        const status = await t.hv.status(check.instance_uuid);
        if (isOff(status) || ctx.now >= check.deadline) {
          report(t, check, await finishShutdown(t, check, status));
        } else if (check.op === 'soft_reboot' && status!.id !== check.domain_id) {
          // Nova: "Instance may have been rebooted during soft reboot, so return now."
          report(t, check, status!.powerState);
        } else if (ctx.now >= check.resend_at) {
          // The guest may have missed the request (still booting, say): Nova asks again.
          if (!(deps.ignoresShutdown?.(t.host.name) ?? false)) await t.hv.shutdown(check.instance_uuid);
          lookAgain(t, { ...check, resend_at: ctx.now + RESEND_MS });
        } else {
          lookAgain(t, check);
        }
      } catch (error) {
        if (error instanceof HypervisorUnavailable) return unreachable(t, check, 'shutdownCheck', error, down);
        await failed(t, check, error);
      }
      return {};
    },
  };
}
