import test from 'ava';
import { libvirtdConf, qemuConf, virtlogdConf, withQemuUser } from '../drivers/qemu/daemon-config.js';
import { virtTypeFor } from '../drivers/qemu/virt-type.js';

const settings = { listenAddress: '192.0.2.7', consoleLogMaxBytes: 65536, consoleLogBackups: 2 };

test('virtualization type: auto is TCG for now, whatever /dev/kvm says; kvm only when asked for', (t) => {
  t.is(virtTypeFor('auto'), 'qemu');
  t.is(virtTypeFor('qemu'), 'qemu');
  t.is(virtTypeFor('kvm'), 'kvm');
});

test('libvirtd.conf puts the sockets and the log in the state directory, without authentication, with its own host UUID', (t) => {
  const conf = libvirtdConf('/s/hv/1', '0f0e0d0c-0000-4000-8000-000000000001');
  t.regex(conf, /^unix_sock_dir = "\/s\/hv\/1"$/m);
  t.regex(conf, /^auth_unix_rw = "none"$/m);
  t.regex(conf, /^host_uuid = "0f0e0d0c-0000-4000-8000-000000000001"$/m);
  t.regex(conf, /^log_outputs = "3:file:\/s\/hv\/1\/libvirtd.log"$/m);
  t.throws(() => libvirtdConf('/s/"quoted"', 'x'), { message: /may not contain quotes/ });
});

test('qemu.conf runs QEMU as root without relabelling, logs through virtlogd, listens where configured', (t) => {
  const conf = qemuConf(settings);
  for (const line of ['user = "root"', 'group = "root"', 'dynamic_ownership = 0', 'remember_owner = 0', 'security_driver = "none"']) {
    t.true(conf.split('\n').includes(line), line);
  }
  t.regex(conf, /^stdio_handler = "logd"$/m);
  t.regex(conf, /^vnc_listen = "192\.0\.2\.7"$/m);
  t.regex(conf, /^spice_listen = "192\.0\.2\.7"$/m);
});

test('virtlogd.conf rotates console logs as configured and refuses nonsense', (t) => {
  const conf = virtlogdConf('/s/hv/1', settings);
  t.regex(conf, /^max_size = 65536$/m);
  t.regex(conf, /^max_backups = 2$/m);
  t.throws(() => virtlogdConf('/s', { ...settings, consoleLogBackups: -1 }), { message: /consoleLogBackups must be a whole number of at least 0/ });
  t.throws(() => virtlogdConf('/s', { ...settings, consoleLogMaxBytes: 0.5 }), { message: /consoleLogMaxBytes/ });
});

test('the namespace’s passwd and group add libvirt-qemu with ids nobody uses, and keep one that exists', (t) => {
  const passwd = 'root:x:0:0:root:/root:/bin/bash\nold:x:64055:64055::/:/bin/false\n';
  const group = 'root:x:0:\nold:x:64055:\n';
  const added = withQemuUser(passwd, group);
  t.true(added.passwd.startsWith(passwd));
  t.true(added.group.startsWith(group));
  t.regex(added.passwd, /^libvirt-qemu:x:64056:64056:/m);
  t.regex(added.group, /^libvirt-qemu:x:64056:$/m);
  t.deepEqual(withQemuUser(added.passwd, added.group), added, 'nothing added twice');
  const withGroup = withQemuUser('root:x:0:0::/:/bin/sh', 'root:x:0:\nlibvirt-qemu:x:120:');
  t.regex(withGroup.passwd, /\nlibvirt-qemu:x:64055:120:/, 'the existing group is used');
});
