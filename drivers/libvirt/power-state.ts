import { VIR_DOMAIN_STATE as DomainState } from './virt.js';

/** Nova's power_state values (nova.compute.power_state). */
export const PowerState = { NOSTATE: 0, RUNNING: 1, PAUSED: 3, SHUTDOWN: 4, CRASHED: 6, SUSPENDED: 7 } as const;

/** libvirt's domain state as Nova's libvirt driver reports it. */
export function powerStateOf(state: number): number {
  switch (state) {
    case DomainState.RUNNING:
    case DomainState.BLOCKED:
      return PowerState.RUNNING;
    case DomainState.PAUSED:
      return PowerState.PAUSED;
    case DomainState.SHUTDOWN:
    case DomainState.SHUTOFF:
      return PowerState.SHUTDOWN;
    case DomainState.CRASHED:
      return PowerState.CRASHED;
    case DomainState.PMSUSPENDED:
      return PowerState.SUSPENDED;
    default:
      return PowerState.NOSTATE;
  }
}
