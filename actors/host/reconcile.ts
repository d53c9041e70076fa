import type { HandlerContext } from '../../runtime/kind.js';
import { ref } from '../../runtime/ref.js';
import type { InstanceRow } from '../../models/instance.js';
import type { LibvirtConnection } from '../../drivers/libvirt/connection.js';
import { PowerState } from '../../drivers/libvirt/power-state.js';
import { sourceOf, type RealGuests } from './domain-spec.js';

/** Servers whose guests are not running by their owner's choice: a hypervisor restart must not start them. */
const POWERED_DOWN = ['stopped', 'paused', 'suspended'];

export interface Reconciled {
  readonly adopted: number;
  readonly resumed: number;
  readonly redefined: number;
  readonly missing: number;
  readonly unknown: string[];
}

/**
 * Compares the hypervisor's domains with the servers the tables place on this host: a known
 * domain is adopted as it is (its power state recorded: a stopped, paused or suspended server stays
 * so), an unknown one is reported, a missing one is started again when the hypervisor itself
 * restarted (Nova's resume_guests_state_on_host_boot) if its server was running, only defined if it
 * was stopped, paused or suspended, and otherwise recorded on its server as NOSTATE.
 */
export async function reconcile(
  hypervisor: LibvirtConnection,
  instances: InstanceRow[],
  rebooted: boolean,
  ctx: HandlerContext,
  real?: RealGuests,
): Promise<Reconciled> {
  const domains = new Map((await hypervisor.domains()).map((d) => [d.uuid, d]));
  let adopted = 0,
    resumed = 0,
    redefined = 0,
    missing = 0;
  const sync = (i: InstanceRow, power_state: number) => {
    if (i.power_state !== power_state) ctx.send(ref('instance', i.uuid), 'syncPowerState', { power_state });
  };
  for (const instance of instances) {
    const domain = domains.get(instance.uuid);
    domains.delete(instance.uuid);
    // A server being deleted is its release message's business; one still building, its claim's; one in
    // the middle of a power action, that action's (started again here, a stop carried out just before would be undone).
    if (instance.task_state !== null || instance.vm_state === 'building') continue;
    if (domain) {
      adopted++;
      sync(instance, domain.powerState);
    } else if (rebooted && instance.vm_state === 'active') {
      const started = await hypervisor.ensureRunning(sourceOf(instance, real));
      resumed++;
      sync(instance, started.powerState);
    } else if (rebooted && POWERED_DOWN.includes(instance.vm_state)) {
      // Defined again but left off: a stopped server stays stopped, a suspended one keeps its saved memory.
      const defined = await hypervisor.define(sourceOf(instance, real));
      redefined++;
      sync(instance, defined.powerState);
    } else if (instance.vm_state === 'active') {
      missing++;
      sync(instance, PowerState.NOSTATE);
    }
  }
  const unknown = [...domains.keys()];
  if (unknown.length)
    ctx.log.warn({ domains: unknown.slice(0, 20), count: unknown.length }, 'domains on the hypervisor that no server here accounts for');
  return { adopted, resumed, redefined, missing, unknown };
}
