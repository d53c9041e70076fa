import test from 'ava';
import { consoleEndpointsOf } from '../drivers/libvirt/console-ports.js';
import { domainXml } from '../drivers/libvirt/domain-xml.js';

// Where a running domain's consoles listen, read from its live XML (as libvirt writes it once autoport chose).

test('the live XML of a running real guest: VNC with its password, SPICE, the serial TCP server', (t) => {
  const xml =
    "<domain type='qemu'><devices>" +
    "<serial type='tcp'><source mode='bind' host='127.0.0.1' service='10005'/><protocol type='raw'/><log file='/x/console.log' append='on'/><target port='0'/></serial>" +
    "<graphics type='vnc' port='5901' autoport='yes' listen='127.0.0.1' passwd='a&amp;b&apos;cdefg'><listen type='address' address='127.0.0.1'/></graphics>" +
    "<graphics type='spice' port='5902' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>" +
    '</devices></domain>';
  t.deepEqual(consoleEndpointsOf(xml), {
    vnc: { host: '127.0.0.1', port: 5901, password: "a&b'cdefg" },
    spice: { host: '127.0.0.1', port: 5902 },
    serial: { host: '127.0.0.1', port: 10005 },
  });
});

test('a domain defined but not running (autoport -1) has no console listening; a test-driver domain has none at all', (t) => {
  const defined = domainXml({
    uuid: '6f1c3a52-2a43-4c1e-9d1b-0a7c1d2e3f40',
    memoryMb: 64,
    vcpus: 1,
    type: 'qemu',
    diskPath: '/x/disk',
    serial: { host: '127.0.0.1', port: 10001, logPath: '/x/console.log' },
    graphics: { listen: '127.0.0.1', vncPassword: 'abcdefgh' },
  });
  const endpoints = consoleEndpointsOf(defined);
  t.is(endpoints.vnc, undefined);
  t.is(endpoints.spice, undefined);
  t.deepEqual(consoleEndpointsOf("<domain type='test'><devices></devices></domain>"), {});
});
