import type { VersionInfo } from './virt.js';

/** What a hypervisor says it is: libvirt's driver type (QEMU, TEST…) and its version as Nova encodes it. */
export interface HypervisorIdentity {
  readonly type: string;
  readonly version: number;
}

/**
 * From virConnectGetType and virConnectGetVersion, as `virsh version` prints them ("Running hypervisor:
 * TEST 0.0.2"); libvirt already encodes the version as Nova does: major × 1,000,000 + minor × 1,000 + release.
 */
export function hypervisorIdentity(version: VersionInfo): HypervisorIdentity {
  return { type: version.type, version: version.hypervisorVersion };
}
