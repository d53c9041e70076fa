import type { Static } from '@sinclair/typebox';
import type { HandlerContext, Outcome } from '../../runtime/kind.js';
import { reject } from '../../runtime/errors.js';
import { ref } from '../../runtime/ref.js';
import type { InstanceRow } from '../../models/instance.js';
import type { LibvirtConnection } from '../../drivers/libvirt/connection.js';
import { HypervisorUnavailable } from '../../drivers/libvirt/errors.js';
import { PowerState } from '../../drivers/libvirt/power-state.js';
import { VIR_DOMAIN_EVENT } from '../../drivers/libvirt/virt.js';
import { consoleLogTail } from '../../drivers/qemu/console-log.js';
import type { HostRow } from '../../models/host.js';
import type { RealGuests } from './domain-spec.js';
import type { syncMessages } from './sync-protocol.js';

// What the hypervisor says its guests are doing, passed on to their servers (Nova's handle_lifecycle_event and
// _sync_power_states); the servers apply Nova's rules (actors/instance/power-sync.ts).

export interface SyncDeps {
  readonly hypervisor: (uri: string) => LibvirtConnection;
  readonly instancesOn: (host: string, uuid?: string) => Promise<InstanceRow[]>;
  readonly realGuests?: (host: string) => RealGuests | undefined;
  /** How long a STOPPED event is held back (Nova: 15 s), so a reboot inside the guest never shows SHUTOFF. */
  readonly stoppedEventDelayMs?: number;
}

type Payload<T extends keyof typeof syncMessages> = Static<(typeof syncMessages)[T]['payload']>;
type Down = (host: HostRow, error: Error, ctx: HandlerContext) => HostRow;

// Events that say nothing of the power state: the state they lead to comes with the next one.
const SILENT = new Set<number>([VIR_DOMAIN_EVENT.DEFINED, VIR_DOMAIN_EVENT.UNDEFINED, VIR_DOMAIN_EVENT.SHUTDOWN]);

/** Tells each server whose guest's power state differs from its row what the hypervisor says now. */
async function syncGuests(deps: SyncDeps, host: HostRow, ctx: HandlerContext, only?: string): Promise<number> {
  const hv = deps.hypervisor(host.libvirt_uri);
  // One domain's event reads that server's row only.
  const servers = await deps.instancesOn(host.name, only);
  if (servers.length === 0) return 0;
  const powers = only
    ? new Map([[only, (await hv.status(only))?.powerState ?? PowerState.NOSTATE]])
    : new Map((await hv.domains()).map((d) => [d.uuid, d.powerState]));
  let told = 0;
  for (const server of servers) {
    // A build or a power action in progress decides the state itself (the server would skip it anyway).
    if (server.task_state !== null || server.vm_state === 'building') continue;
    const power = powers.get(server.uuid) ?? PowerState.NOSTATE;
    if (power === server.power_state) continue;
    ctx.send(ref('instance', server.uuid), 'syncPowerState', { power_state: power });
    told++;
  }
  return told;
}

/** Nova's tail of the console log: `length` lines from the end (its slice, -1 included), ASCII with the rest replaced. */
export function novaTail(text: string, length?: number): string {
  const ascii = text.replace(/[^\p{ASCII}]/gu, '\ufffd');
  if (length === undefined) return ascii;
  if (length === 0) return '';
  return ascii.split('\n').slice(-length).join('\n');
}

export function syncHandlers(deps: SyncDeps, known: (state: HostRow | null, ctx: HandlerContext) => HostRow, down: Down) {
  const unreachable = (host: HostRow, error: unknown, ctx: HandlerContext): Outcome<HostRow> => {
    if (!(error instanceof HypervisorUnavailable)) throw error;
    return host.status === 'down' ? {} : { state: down(host, error, ctx) };
  };
  return {
    domainEvent: async (state: HostRow | null, e: Payload<'domainEvent'>, ctx: HandlerContext): Promise<Outcome<HostRow>> => {
      const host = known(state, ctx);
      if (SILENT.has(e.event)) return {};
      const delayMs = deps.stoppedEventDelayMs ?? 15_000;
      if (e.event === VIR_DOMAIN_EVENT.STOPPED && delayMs > 0) {
        // Read again once the delay is over: a guest that rebooted meanwhile is running then, and nothing is said.
        ctx.send(ctx.self, 'syncDomain', { instance_uuid: e.instance_uuid }, { delayMs });
        return {};
      }
      try {
        await syncGuests(deps, host, ctx, e.instance_uuid);
      } catch (error) {
        return unreachable(host, error, ctx);
      }
      return {};
    },
    syncDomain: async (state: HostRow | null, { instance_uuid }: Payload<'syncDomain'>, ctx: HandlerContext): Promise<Outcome<HostRow>> => {
      const host = known(state, ctx);
      try {
        await syncGuests(deps, host, ctx, instance_uuid);
      } catch (error) {
        return unreachable(host, error, ctx);
      }
      return {};
    },
    syncPower: async (state: HostRow | null, _p: Payload<'syncPower'>, ctx: HandlerContext): Promise<Outcome<HostRow>> => {
      if (!state || state.status === 'down') return {};
      try {
        const told = await syncGuests(deps, state, ctx);
        if (told) ctx.log.info({ host: state.name, servers: told }, 'power states synced from the hypervisor');
      } catch (error) {
        return unreachable(state, error, ctx);
      }
      return {};
    },
    hypervisorLost: (state: HostRow | null, { reason }: Payload<'hypervisorLost'>, ctx: HandlerContext): Outcome<HostRow> => {
      if (!state || state.status === 'down') return {};
      return { state: down(state, new Error(`connection to the hypervisor lost: ${reason}`), ctx) };
    },
    consoleOutput: async (state: HostRow | null, { instance_uuid, length }: Payload<'consoleOutput'>, ctx: HandlerContext) => {
      const host = known(state, ctx);
      const real = deps.realGuests?.(host.name);
      // The test driver's guests have no serial console to log (Nova's ConsoleNotAvailable).
      if (!real) throw reject('Guest does not have a console available.', { unavailable: true });
      return { reply: { output: novaTail(await consoleLogTail(real.consoleLog(instance_uuid)), length) } };
    },
    consoleEndpoint: async (state: HostRow | null, { instance_uuid, protocol }: Payload<'consoleEndpoint'>, ctx: HandlerContext) => {
      const host = known(state, ctx);
      // The test driver's guests have no consoles: Nova's answer for a driver without them (NotImplementedError).
      if (!deps.realGuests?.(host.name)) throw reject('Guest does not have a console available.', { unsupported: true });
      const endpoints = await deps.hypervisor(host.libvirt_uri).consoleEndpoints(instance_uuid);
      if (!endpoints) throw reject(`Instance ${instance_uuid} could not be found.`, { missing: true });
      const found = endpoints[protocol];
      if (!found) throw reject(`Instance ${instance_uuid} is not ready`, { notReady: true });
      return { reply: found };
    },
  };
}
