import test from 'ava';
import { boot, domainsOf, settled } from './helpers/compute.js';
import { killDuringBurst, startCrashCloud } from './helpers/crash.js';
import { stopTestCloud } from './helpers/test-cloud.js';

// kill -9 of the Stratus process (its hypervisors, detached, live on) in the middle of 20 boots.
test('after kill -9 during 20 boots and a restart: no server stuck in BUILD or duplicated, domains match servers, running ones untouched', async (t) => {
  const { c, uris, nova, token } = await startCrashCloud('compute-crash');
  try {
    for (let i = 0; i < 5; i++) t.is((await boot(nova, token, `steady-${i}`)).status, 202);
    const steady = await settled(nova, token);
    t.true(steady.every((s) => s.status === 'ACTIVE'));
    const idsBefore = await domainsOf(uris);

    const answered = await killDuringBurst(
      c,
      Array.from({ length: 20 }, (_, i) => () => boot(nova, token, `burst-${i}`)),
      3,
      (r) => r.body.server.id as string,
    );
    t.log(`${answered.length} of 20 boots accepted before the kill`);

    const servers = await settled(nova, token);
    const byId = new Map(servers.map((s) => [s.id, s]));
    for (const id of answered) t.true(byId.has(id), `accepted server ${id} survived the crash`);
    // The hosts have room for every one of them: each server the crash left, accepted or not, must be built.
    t.deepEqual(
      servers.filter((s) => s.status !== 'ACTIVE').map((s) => `${s.name}: ${s.status}`),
      [],
    );
    t.true(servers.length >= steady.length + answered.length);
    const names = servers.map((s) => s.name);
    t.is(new Set(names).size, names.length, 'no server was created twice');

    const domains = await domainsOf(uris);
    t.deepEqual([...domains.keys()].sort(), servers.map((s) => s.id).sort(), 'one domain per server, and no other');
    for (const s of servers) t.is(domains.get(s.id)!.uri, uris[Number(s['OS-EXT-SRV-ATTR:host'].split('-')[1]) - 1]);
    for (const s of steady) {
      t.is(domains.get(s.id)?.id, idsBefore.get(s.id)!.id, `${s.name} kept its libvirt domain`);
      t.is(byId.get(s.id).status, 'ACTIVE');
    }
  } finally {
    await stopTestCloud(c);
  }
});
