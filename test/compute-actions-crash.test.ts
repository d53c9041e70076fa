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

    // Each server is where its order leads when the order was accepted before the kill, and where the
    // order leads or where it was otherwise (an order whose answer the kill cut off may have been
    // carried out); its domain's power state agrees, and every accepted action is recorded with its
    // events finished.
    const powerOf: Record<string, number> = { ACTIVE: 1, SHUTOFF: 4, PAUSED: 3, SUSPENDED: 4 };
    const leadsTo: Record<string, string> = {
      'os-start': 'ACTIVE',
      'os-stop': 'SHUTOFF',
      pause: 'PAUSED',
      unpause: 'ACTIVE',
      suspend: 'SUSPENDED',
      resume: 'ACTIVE',
    };
    interface Round {
      requests: string[];
      accepted: Set<string>;
      before: Map<string, string>;
      orders: Map<string, unknown>;
    }
    const check = async (round: string, { requests, accepted, before, orders }: Round) => {
      const servers = await settled(nova, token);
      t.is(servers.length, 12);
      const domains = await domainsOf(uris);
      for (const s of servers) {
        const target = leadsTo[Object.keys(orders.get(s.id) as object)[0]];
        const allowed = accepted.has(s.id) ? [target] : [target, before.get(s.id)];
        t.true(allowed.includes(s.status), `${round}: ${s.name} settled as ${s.status}, expected ${allowed.join(' or ')}`);
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
    const burstAndKill = async (orders: Array<[string, unknown]>, enough: number): Promise<Round> => {
      const before = new Map((await settled(nova, token)).map((s) => [s.id as string, s.status as string]));
      const accepted = new Set<string>();
      const requests = await killDuringBurst(
        c,
        orders.map(
          ([id, body]) =>
            () =>
              act(id, body).then((r) => {
                if (r.status === 202) accepted.add(id);
                return r;
              }),
        ),
        enough,
        (r) => r.headers.get('x-openstack-request-id'),
      );
      t.log(`${requests.length} of ${orders.length} actions accepted before the kill`);
      return { requests, accepted, before, orders: new Map(orders) };
    };

    // Killed as soon as the first action is accepted: the rest are lost with their callers or carried out.
    const first = await burstAndKill(
      [
        ...ids.slice(0, 4).map((id) => [id, { 'os-start': null }] as [string, unknown]),
        ...ids.slice(4, 8).map((id) => [id, { 'os-stop': null }] as [string, unknown]),
        ...ids.slice(8, 10).map((id) => [id, { pause: null }] as [string, unknown]),
        ...ids.slice(10, 12).map((id) => [id, { suspend: null }] as [string, unknown]),
      ],
      1,
    );
    const after = await check('first burst', first);

    // Killed once every action is accepted, while the hosts are carrying them out.
    const undo: Record<string, unknown> = {
      ACTIVE: { 'os-stop': null },
      SHUTOFF: { 'os-start': null },
      PAUSED: { unpause: null },
      SUSPENDED: { resume: null },
    };
    const second = await burstAndKill(
      after.map((s) => [s.id, undo[s.status]] as [string, unknown]),
      after.length,
    );
    await check('second burst', second);
  } finally {
    await stopTestCloud(c);
  }
});
