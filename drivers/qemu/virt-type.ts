/** How a host's guests are virtualized, as configured. */
export type VirtTypeSetting = 'auto' | 'kvm' | 'qemu';

/**
 * libvirt's domain type for a setting. `auto` means TCG (`qemu`) for now: on this kind of machine /dev/kvm is a
 * PVM-based KVM that runs firmware but not a Linux kernel (platform notes §8), so the device existing proves nothing.
 * A probe boot of a long-mode guest will decide `auto` later; until then only an explicit `kvm` gives KVM.
 */
export function virtTypeFor(setting: VirtTypeSetting): 'kvm' | 'qemu' {
  return setting === 'kvm' ? 'kvm' : 'qemu';
}
