import test from 'ava';
import { boot, domainsOf, settled, startComputeCloud } from './helpers/compute.js';

const host = (name: string, vcpus = 20) => ({ name, vcpus, cpuAllocationRatio: 1 });

test('50 concurrent boots onto room for 40: 40 ACTIVE, 10 No valid host, no host overcommitted', async (t) => {
  const c = await startComputeCloud('compute-capacity', { libvirt: { hosts: [host('big-1'), host('big-2')] } });
  try {
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => boot(c.nova, c.admin, `burst-${i}`)));
    t.deepEqual(
      answers.map((a) => a.status),
      Array(50).fill(202),
    );
    const servers = await settled(c.nova, c.admin);
    const active = servers.filter((s) => s.status === 'ACTIVE');
    const failed = servers.filter((s) => s.status === 'ERROR');
    t.is(active.length, 40);
    t.is(failed.length, 10);
    for (const s of failed) t.regex(s.fault.message, /^No valid host was found/);
    const hypervisors = (await c.nova.call('GET', '/v2.1/os-hypervisors/detail', { token: c.admin })).body.hypervisors;
    for (const h of hypervisors) t.true(h.vcpus_used <= h.vcpus, `${h.hypervisor_hostname} holds ${h.vcpus_used} of ${h.vcpus}`);
    t.is(
      hypervisors.reduce((n: number, h: any) => n + h.vcpus_used, 0),
      40,
    );
    const domains = await domainsOf(c.cloud.hosts.map((h) => h.uri));
    t.is(domains.size, 40);
    for (const s of active) {
      const domain = domains.get(s.id);
      t.is(domain?.uri, c.cloud.hosts.find((h) => h.name === s['OS-EXT-SRV-ATTR:host'])!.uri);
    }
  } finally {
    await c.stop();
  }
});

// libvirt's test driver cannot be made to fail a spawn: the failures here come from the
// test-only `faults.spawnFailHosts` setting, injected once the guest was started, so the failing
// hosts' cleanup has a domain to remove (none is left on them).
test('a failed spawn is cleaned up and rescheduled; when every attempt fails the server goes to ERROR', async (t) => {
  const c = await startComputeCloud('compute-reschedule', {
    libvirt: { hosts: [host('h-a'), host('h-b'), host('h-c')] },
    faults: { spawnFailHosts: ['h-a', 'h-b'] },
  });
  try {
    for (let i = 0; i < 6; i++) t.is((await boot(c.nova, c.admin, `r-${i}`)).status, 202);
    const servers = await settled(c.nova, c.admin);
    t.deepEqual(
      servers.map((s) => `${s.status}@${s['OS-EXT-SRV-ATTR:host']}`),
      Array(6).fill('ACTIVE@h-c'),
    );
    const domains = await domainsOf(c.cloud.hosts.map((h) => h.uri));
    t.deepEqual(
      [...domains.values()].map((d) => d.uri),
      Array(6).fill(c.cloud.hosts[2].uri),
    );
  } finally {
    await c.stop();
  }
  const all = await startComputeCloud('compute-exhausted', {
    libvirt: { hosts: [host('h-a'), host('h-b')] },
    faults: { spawnFailHosts: ['h-a', 'h-b'] },
    scheduler: { maxAttempts: 2 },
  });
  try {
    const id = (await boot(all.nova, all.admin, 'unlucky')).body.server.id;
    const [server] = await settled(all.nova, all.admin);
    t.is(server.id, id);
    t.like(server, { status: 'ERROR', 'OS-EXT-STS:vm_state': 'error', 'OS-EXT-SRV-ATTR:host': null });
    t.is(server.fault.code, 500);
    t.regex(server.fault.message, /^Exceeded maximum number of retries/);
    // An admin sees why; the owner of a 500 fault would not.
    t.regex(server.fault.details, /injected spawn failure/);
    t.is((await domainsOf(all.cloud.hosts.map((h) => h.uri))).size, 0);
    const hypervisors = (await all.nova.call('GET', '/v2.1/os-hypervisors/detail', { token: all.admin })).body.hypervisors;
    t.deepEqual(
      hypervisors.map((h: any) => h.running_vms),
      [0, 0],
    );
  } finally {
    await all.stop();
  }
});
