/** How a host's guests are virtualized, as configured. */
export type VirtTypeSetting = 'auto' | 'kvm' | 'qemu';

/**
 * libvirt's domain type for an explicit setting; `auto` is TCG (`qemu`) here, and is decided by a probe boot where a
 * guest image is at hand (virt-probe.ts): on this kind of machine /dev/kvm is a PVM-based KVM that runs firmware but
 * not a Linux kernel (platform notes §8), so the device existing proves nothing.
 */
export function virtTypeFor(setting: VirtTypeSetting): 'kvm' | 'qemu' {
  return setting === 'kvm' ? 'kvm' : 'qemu';
}
