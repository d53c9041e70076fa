/** What a domain is made from: the instance's identity and its flavor's size. */
export interface DomainSpec {
  readonly uuid: string;
  readonly memoryMb: number;
  readonly vcpus: number;
  /** libvirt's domain type: 'test' on the test driver, 'kvm' or 'qemu' for real VMs. */
  readonly type: 'test' | 'kvm' | 'qemu';
  /** A disk image file for real VMs; the test driver needs none. */
  readonly diskPath?: string;
}

const escape = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Domain XML named by the instance's UUID, so every operation can find its domain again
 * after any crash. No <cpu> element: host-model and passthrough abort QEMU on this kind of host.
 */
export function domainXml(spec: DomainSpec): string {
  const name = escape(spec.uuid);
  const devices =
    spec.type === 'test'
      ? ''
      : [
          '<devices>',
          spec.diskPath
            ? `<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${escape(spec.diskPath)}'/><target dev='vda' bus='virtio'/></disk>`
            : '',
          "<serial type='pty'/><graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/><video><model type='vga'/></video>",
          '</devices>',
        ].join('');
  return (
    `<domain type='${spec.type}'><name>${name}</name><uuid>${name}</uuid>` +
    `<memory unit='MiB'>${spec.memoryMb}</memory><vcpu>${spec.vcpus}</vcpu>` +
    `<features><acpi/><apic/></features><os><type arch='x86_64'>hvm</type><boot dev='hd'/></os>${devices}</domain>`
  );
}
