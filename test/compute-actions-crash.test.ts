import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { boot, domainsOf, settled } from './helpers/compute.js';
import { killDuringBurst, startCrashCloud } from './helpers/crash.js';
import { stopTestCloud } from './helpers/test-cloud.js';

// kill -9 of the Stratus process (its hypervisors, detached, live on) in the middle of a burst of
// starts, stops, pauses and suspends; after the restart every server has settled as its domain is.
test('after kill -9 during a burst of power actions and a restart: no server or action stuck, each server as its domain', async (t) => {
  const { c, stateDir, uris, nova, token } = await startCrashCloud('actions-crash');
  try {
    const act = (id: string, body: unknown) => nova.call('POST', `/v2.1/servers/${id}/action`, { token, body });
    for (let i = 0; i < 12; i++) t.is((await boot(nova, token, `vm-${i}`)).status, 202);
    const ids = (await settled(nova, token)).map((s) => s.id as string).sort();
    for (const id of ids.slice(0, 4)) t.is((await act(id, { 'os-stop': null })).status, 202);
    await settled(nova, token);

    // Each server's settled status and its domain's power state must agree, and every action accepted
    // before the kill must be recorded with its events finished.
    const powerOf: Record<string, number> = { ACTIVE: 1, SHUTOFF: 4, PAUSED: 3, SUSPENDED: 4 };
    const check = async (round: string, requests: string[]) => {
      const servers = await settled(nova, token);
      t.is(servers.length, 12);
      const domains = await domainsOf(uris);
      for (const s of servers) {
        t.true(s.status in powerOf, `${round}: ${s.name} settled as ${s.status}`);
        t.is(domains.get(s.id)?.powerState, powerOf[s.status], `${round}: ${s.name} (${s.status}) matches its domain`);
        t.is(s['OS-EXT-STS:power_state'], powerOf[s.status], `${round}: ${s.name}'s recorded power state`);
        if (s.status === 'SUSPENDED') t.true(existsSync(join(stateDir, 'saved', s['OS-EXT-SRV-ATTR:host'], `${s.id}.save`)));
      }
      const recorded = new Set<string>();
      for (const s of servers) {
        const list = await nova.call('GET', `/v2.1/servers/${s.id}/os-instance-actions`, { token });
        for (const a of list.body.instanceActions) {
          recorded.add(a.request_id);
          const detail = await nova.call('GET', `/v2.1/servers/${s.id}/os-instance-actions/${a.request_id}`, { token });
          for (const e of detail.body.instanceAction.events) {
            t.truthy(e.finish_time, `${round}: ${s.name} ${a.action}: ${e.event} finished`);
            t.is(e.result, 'Success', `${round}: ${s.name} ${a.action}: ${e.event}`);
          }
        }
      }
      for (const id of requests) t.true(recorded.has(id), `${round}: accepted request ${id} has its action`);
      return servers;
    };

    /** Sends every order at once and kills the process once `enough` of them are accepted; then restarts it. */
    const burstAndKill = async (orders: Array<[string, unknown]>, enough: number) => {
      const requests = await killDuringBurst(c, orders.map(([id, body]) => () => act(id, body)), enough,
        (r) => r.headers.get('x-openstack-request-id'));
      t.true(requests.length >= enough);
      t.log(`${requests.length} of ${orders.length} actions accepted before the kill`);
      return requests;
    };

    // Killed as soon as the first action is accepted: the rest are lost with their callers or carried out.
    const first = await burstAndKill([
      ...ids.slice(0, 4).map((id) => [id, { 'os-start': null }] as [string, unknown]),
      ...ids.slice(4, 8).map((id) => [id, { 'os-stop': null }] as [string, unknown]),
      ...ids.slice(8, 10).map((id) => [id, { pause: null }] as [string, unknown]),
      ...ids.slice(10, 12).map((id) => [id, { suspend: null }] as [string, unknown]),
    ], 1);
    const after = await check('first burst', first);

    // Killed once every action is accepted, while the hosts are carrying them out.
    const undo: Record<string, unknown> = { ACTIVE: { 'os-stop': null }, SHUTOFF: { 'os-start': null }, PAUSED: { unpause: null }, SUSPENDED: { resume: null } };
    const second = await burstAndKill(after.map((s) => [s.id, undo[s.status]] as [string, unknown]), after.length);
    await check('second burst', second);
  } finally {
    await stopTestCloud(c);
  }
});
