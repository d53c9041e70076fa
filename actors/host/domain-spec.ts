import type { DomainSpec } from '../../drivers/libvirt/domain-xml.js';
import type { DomainSource } from '../../drivers/libvirt/connection.js';

/** A real hypervisor's guests, as the host actor makes and removes them (undefined for a simulated host). */
export interface RealGuests {
  /** A new guest's domain: its disk made from the image, its consoles chosen. */
  prepare(i: { uuid: string; image_ref: string; memory_mb: number; vcpus: number }): Promise<DomainSpec>;
  /** A new serial console port for a guest whose own was taken while it was off. */
  newSerialPort(uuid: string): Promise<number>;
  /** The file the guest's serial console is logged to. */
  consoleLog(uuid: string): string;
  /** Removes what a deleted guest left on the host (its disk, logs). */
  remove(uuid: string): Promise<void>;
}

type Guest = { uuid: string; memory_mb: number; vcpus: number; image_ref?: string };

/**
 * The domain a server runs as. On a simulated host, the test driver's kind, made from the flavor alone; on a real
 * one, made (disk copied, consoles chosen) only when the hypervisor has no domain for it yet, which needs its image.
 */
export function sourceOf(i: Guest, real: RealGuests | undefined): DomainSource {
  if (!real) return { uuid: i.uuid, memoryMb: i.memory_mb, vcpus: i.vcpus, type: 'test' };
  return {
    uuid: i.uuid,
    make: () => {
      // A power action finds its guest defined; one whose domain vanished cannot be made again without its image.
      if (i.image_ref === undefined) throw new Error(`the domain of instance ${i.uuid} is gone from its hypervisor`);
      return real.prepare({ uuid: i.uuid, image_ref: i.image_ref, memory_mb: i.memory_mb, vcpus: i.vcpus });
    },
  };
}
