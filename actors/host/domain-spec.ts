import type { DomainSpec } from '../../drivers/libvirt/domain-xml.js';

/** The domain a server runs as: the test driver's kind on simulated hosts, KVM on real ones. */
export const specOf = (i: { uuid: string; memory_mb: number; vcpus: number }, uri: string): DomainSpec => ({
  uuid: i.uuid,
  memoryMb: i.memory_mb,
  vcpus: i.vcpus,
  type: uri.startsWith('test') ? 'test' : 'kvm',
});
