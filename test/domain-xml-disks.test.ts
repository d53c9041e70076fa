import test from 'ava';
import { domainXml, type DomainSpec } from '../drivers/libvirt/domain-xml.js';

// The disks of a guest made from an image (drivers/qemu/guest-disks.ts) as the domain XML carries them.

const base: DomainSpec = { uuid: '0f0e0d0c-0000-4000-8000-000000000002', memoryMb: 128, vcpus: 1, type: 'qemu', diskCache: 'writethrough' };

test('root, ephemeral and swap overlays: qcow2 drivers on vda, vdb, vdc; booted from the disk', (t) => {
  const xml = domainXml({
    ...base,
    disks: [
      { path: '/i/x/disk', format: 'qcow2', device: 'disk', target: 'vda', bus: 'virtio' },
      { path: '/i/x/disk.local', format: 'qcow2', device: 'disk', target: 'vdb', bus: 'virtio' },
      { path: "/i/x'/disk.swap", format: 'qcow2', device: 'disk', target: 'vdc', bus: 'virtio' },
    ],
  });
  t.true(xml.includes("<boot dev='hd'/></os>"));
  t.true(
    xml.includes(
      "<disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='writethrough'/><source file='/i/x/disk'/><target dev='vda' bus='virtio'/></disk>",
    ),
  );
  t.true(xml.includes("<source file='/i/x/disk.local'/><target dev='vdb' bus='virtio'/>"));
  t.true(xml.includes("<source file='/i/x&#39;/disk.swap'/><target dev='vdc' bus='virtio'/>"));
  t.is(xml.match(/<disk /g)?.length, 3);
});

test('an ISO: a read-only raw IDE cdrom booted first, then the blank root disk', (t) => {
  const xml = domainXml({
    ...base,
    disks: [
      { path: '/i/_base/abc', format: 'raw', device: 'cdrom', target: 'hda', bus: 'ide', readonly: true },
      { path: '/i/x/disk', format: 'qcow2', device: 'disk', target: 'vda', bus: 'virtio' },
    ],
  });
  t.true(xml.includes("<os><type arch='x86_64'>hvm</type><boot dev='cdrom'/><boot dev='hd'/></os>"));
  t.true(
    xml.includes(
      "<disk type='file' device='cdrom'><driver name='qemu' type='raw' cache='writethrough'/><source file='/i/_base/abc'/><target dev='hda' bus='ide'/><readonly/></disk>",
    ),
  );
});

test('a disk target that is not a disk name is refused', (t) => {
  t.throws(() => domainXml({ ...base, disks: [{ path: '/d', format: 'raw', device: 'disk', target: "vda'/><x", bus: 'virtio' }] }), {
    message: /not a disk target/,
  });
});
