import test from 'ava';
import { domainXml, type DomainSpec } from '../drivers/libvirt/domain-xml.js';

const real: DomainSpec = {
  uuid: '0f0e0d0c-0000-4000-8000-000000000001',
  memoryMb: 256,
  vcpus: 2,
  type: 'qemu',
  diskPath: "/srv/instances/it's/disk",
  volumes: [{ path: '/srv/volumes/v1', serial: 'vol<1>' }],
  serial: { host: '127.0.0.1', port: 10003, logPath: '/srv/instances/a&b/console.log' },
  graphics: { listen: '0.0.0.0', vncPassword: "p'ss<&>" },
};

test('the test driver’s domain XML is unchanged: no devices, no lifecycle actions', (t) => {
  t.is(
    domainXml({ uuid: 'a<b', memoryMb: 64, vcpus: 1, type: 'test' }),
    "<domain type='test'><name>a&#60;b</name><uuid>a&#60;b</uuid><memory unit='MiB'>64</memory><vcpu>1</vcpu>" +
      "<features><acpi/><apic/></features><os><type arch='x86_64'>hvm</type><boot dev='hd'/></os></domain>",
  );
});

test('a real guest’s domain XML: raw disk with cache none, volume serials, serial over TCP with a log, VNC password, SPICE', (t) => {
  const xml = domainXml(real);
  t.true(xml.startsWith("<domain type='qemu'>"));
  t.true(xml.includes("<disk type='file' device='disk'><driver name='qemu' type='raw' cache='none'/><source file='/srv/instances/it&#39;s/disk'/>"));
  t.true(xml.includes("<target dev='sda' bus='scsi'/><serial>vol&#60;1&#62;</serial>"));
  t.true(xml.includes("<controller type='scsi' model='virtio-scsi'/>"));
  const source = "<source mode='bind' host='127.0.0.1' service='10003'/><protocol type='raw'/>";
  t.true(xml.includes(`<serial type='tcp'>${source}<log file='/srv/instances/a&#38;b/console.log' append='on'/>`));
  t.true(xml.includes(`<console type='tcp'>${source}<target type='serial' port='0'/></console>`));
  t.true(xml.includes("<graphics type='vnc' port='-1' autoport='yes' listen='0.0.0.0' passwd='p&#39;ss&#60;&#38;&#62;'>"));
  t.true(xml.includes("<graphics type='spice' port='-1' autoport='yes' listen='0.0.0.0'>"));
  t.true(xml.includes('<on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>'));
  t.false(xml.includes('<cpu'), 'no <cpu>: host-model and passthrough abort QEMU on this kind of host');
  t.false(/[<>]['"&]|='[^']*'[^ />]/.test(xml.replace(/&#\d+;/g, '')), 'nothing unescaped breaks out of an attribute');
});

test('a disk cache other than none is carried to every disk; numbers must be whole', (t) => {
  const xml = domainXml({ ...real, diskCache: 'writethrough' });
  t.is(xml.match(/cache='writethrough'/g)?.length, 2);
  t.throws(() => domainXml({ ...real, serial: { ...real.serial!, port: 10003.5 } }), { message: /serial port must be a whole number/ });
  t.throws(() => domainXml({ ...real, memoryMb: Number.NaN }), { message: /memoryMb/ });
});

test('volumes past the 26th get two-letter names', (t) => {
  const volumes = Array.from({ length: 28 }, (_, i) => ({ path: `/v/${i}`, serial: `v${i}` }));
  const xml = domainXml({ ...real, volumes });
  t.true(xml.includes("<source file='/v/25'/><target dev='sdz' bus='scsi'/>"));
  t.true(xml.includes("<source file='/v/26'/><target dev='sdaa' bus='scsi'/>"));
  t.true(xml.includes("<source file='/v/27'/><target dev='sdab' bus='scsi'/>"));
});

test('each NIC is the data plane’s own tap, opened as it is, with the port’s MAC and the network’s MTU; other names are refused', (t) => {
  const interfaces = [
    { mac: 'FA:16:3E:00:00:01', tap: 's1a2b3ct0f0e0d0', mtu: 1450 },
    { mac: 'fa:16:3e:00:00:02', tap: 's1a2b3ct1111111', mtu: 1500 },
  ];
  const xml = domainXml({ ...real, interfaces });
  const nics = xml.match(/<interface [^]*?<\/interface>/g) ?? [];
  t.deepEqual(nics, [
    "<interface type='ethernet'><mac address='fa:16:3e:00:00:01'/><target dev='s1a2b3ct0f0e0d0' managed='no'/><model type='virtio'/><mtu size='1450'/></interface>",
    "<interface type='ethernet'><mac address='fa:16:3e:00:00:02'/><target dev='s1a2b3ct1111111' managed='no'/><model type='virtio'/><mtu size='1500'/></interface>",
  ]);
  t.throws(() => domainXml({ ...real, interfaces: [{ ...interfaces[0], tap: "x'/><hostdev" }] }), { message: /not a tap name/ });
  t.throws(() => domainXml({ ...real, interfaces: [{ ...interfaces[0], tap: 'sixteen-chars-xx' }] }), { message: /not a tap name/ });
  t.throws(() => domainXml({ ...real, interfaces: [{ ...interfaces[0], mac: 'fa:16:3e:00:00' }] }), { message: /not a MAC/ });
  t.false(domainXml(real).includes('<interface'), 'no ports, no NICs');
  const noSpice = domainXml({ ...real, graphics: { ...real.graphics!, spice: false } });
  t.false(noSpice.includes("type='spice'"), 'in a namespace with only a loopback address SPICE cannot start');
  t.true(noSpice.includes("<graphics type='vnc'"));
});
