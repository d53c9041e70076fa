import type { Static } from '@sinclair/typebox';
import type { HandlerContext, Outcome } from '../../runtime/kind.js';
import { reject } from '../../runtime/errors.js';
import { ref } from '../../runtime/ref.js';
import type { LibvirtConnection } from '../../drivers/libvirt/connection.js';
import { injectNmi } from '../../drivers/libvirt/inject-nmi.js';
import { powerStateOf } from '../../drivers/libvirt/power-state.js';
import { isSimulated, type HostRow } from '../../models/host.js';
import type { hostAdminMessages } from './admin-protocol.js';
import { sourceOf, type RealGuests } from './domain-spec.js';
import { PowerState } from '../../drivers/libvirt/power-state.js';

type Messages = typeof hostAdminMessages;
type Payload<T extends keyof Messages> = Static<Messages[T]['payload']>;

/** What a host answers `diagnostics`: the domain's info as libvirt gives it, and the virt type Nova would name. */
export interface GuestDiagnostics {
  readonly power_state: number;
  readonly max_memory_kib: number;
  readonly memory_kib: number;
  readonly vcpus: number;
  readonly cpu_time_ns: number;
  /** Nova's CONF.libvirt.virt_type: `qemu` for the real host (TCG), `test` for libvirt's test driver. */
  readonly virt_type: string;
}

interface Deps {
  readonly hypervisor: (uri: string) => LibvirtConnection;
  readonly realGuests?: (host: string) => RealGuests | undefined;
}

const failure = (error: unknown) => ({ message: (error as Error).message || String(error) });

export function hostAdminHandlers(deps: Deps, known: (state: HostRow | null, ctx: HandlerContext) => HostRow) {
  return {
    injectNmi: async (state: HostRow | null, { instance_uuid, request_id }: Payload<'injectNmi'>, ctx: HandlerContext): Promise<Outcome<HostRow>> => {
      const host = known(state, ctx);
      const outcome = await injectNmi(host.libvirt_uri, instance_uuid);
      // The libvirt driver's translations: VIR_ERR_OPERATION_INVALID is InstanceNotRunning, VIR_ERR_NO_SUPPORT
      // TriggerCrashDumpNotSupported; anything else is libvirt's own error.
      const error = outcome.ok
        ? undefined
        : {
            message:
              outcome.reason === 'not_running'
                ? `Instance ${instance_uuid} is not running.`
                : outcome.reason === 'unsupported'
                  ? 'Triggering crash dump is not supported'
                  : outcome.message,
          };
      if (error) ctx.log.warn({ instance: instance_uuid, error: outcome.ok ? undefined : outcome.message }, 'crash dump not triggered');
      ctx.send(ref('instance', instance_uuid), 'crashDumpDone', { request_id, ...(error ? { error } : {}) });
      return {};
    },
    diagnostics: async (state: HostRow | null, { instance_uuid }: Payload<'diagnostics'>, ctx: HandlerContext): Promise<Outcome<HostRow>> => {
      const host = known(state, ctx);
      const info = await deps.hypervisor(host.libvirt_uri).domainInfo(instance_uuid);
      if (!info) throw reject(`Instance ${instance_uuid} could not be found.`, { status: 404 });
      const reply: GuestDiagnostics = {
        power_state: powerStateOf(info.state),
        max_memory_kib: info.maxMemKiB,
        memory_kib: info.memoryKiB,
        vcpus: info.vcpus,
        cpu_time_ns: info.cpuTimeNs,
        virt_type: isSimulated(host) ? 'test' : 'qemu',
      };
      return { reply };
    },
    powerOffKept: async (state: HostRow | null, o: Payload<'powerOffKept'>, ctx: HandlerContext): Promise<Outcome<HostRow>> => {
      const host = known(state, ctx);
      const to = ref('instance', o.instance_uuid);
      try {
        const status = await deps.hypervisor(host.libvirt_uri).destroy(o.instance_uuid);
        ctx.send(to, 'softDeleted', {
          request_id: o.request_id,
          reclaim_after_ms: o.reclaim_after_ms,
          power_state: status?.powerState ?? PowerState.NOSTATE,
        });
      } catch (error) {
        ctx.log.warn({ err: error, instance: o.instance_uuid }, 'soft delete: power off failed');
        ctx.send(to, 'softDeleted', {
          request_id: o.request_id,
          reclaim_after_ms: o.reclaim_after_ms,
          power_state: PowerState.NOSTATE,
          error: failure(error),
        });
      }
      return {};
    },
    powerOnKept: async (state: HostRow | null, o: Payload<'powerOnKept'>, ctx: HandlerContext): Promise<Outcome<HostRow>> => {
      const host = known(state, ctx);
      const to = ref('instance', o.instance_uuid);
      try {
        const spec = sourceOf({ uuid: o.instance_uuid, memory_mb: o.memory_mb, vcpus: o.vcpus }, deps.realGuests?.(host.name));
        const status = await deps.hypervisor(host.libvirt_uri).ensureRunning(spec);
        ctx.send(to, 'restored', { request_id: o.request_id, power_state: status.powerState });
      } catch (error) {
        ctx.log.warn({ err: error, instance: o.instance_uuid }, 'restore: power on failed');
        ctx.send(to, 'restored', { request_id: o.request_id, power_state: PowerState.NOSTATE, error: failure(error) });
      }
      return {};
    },
  };
}
