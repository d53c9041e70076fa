import test from 'ava';
import { at, boot, startComputeCloud, TINY_IMAGE_ID, type ComputeCloud } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';
import { novaRefused } from './helpers/refusals.js';

// What Tempest 33's compute API tests (npm run tempest) found Stratus doing differently from Nova 26, each difference
// shown here through raw HTTP with the response oracle on.

let c: ComputeCloud;

test.before(async () => {
  c = await startComputeCloud('tempest-fixes', { libvirt: { hosts: [{ name: 'compute-1' }, { name: 'compute-2' }] } });
});
test.after.always(async () => {
  await c?.stop();
});

const get = (path: string, token = c.admin, version?: string) => c.nova.call('GET', path, { token, headers: version ? at(version) : {} });

test('access addresses: an IPv6 one is kept in its canonical text (Nova stores netaddr addresses), at boot, update and rebuild', async (t) => {
  const r = await boot(c.nova, c.demo, 'v6', { accessIPv4: '1.1.1.1', accessIPv6: '0000:0000:0000:0000:0000:babe:220.12.22.2' });
  t.is(r.status, 202, JSON.stringify(r.body));
  const id = r.body.server.id as string;
  t.is((await get(`/v2.1/servers/${id}`, c.demo)).body.server.accessIPv6, '::babe:dc0c:1602');
  await eventually(async () => (await get(`/v2.1/servers/${id}`, c.demo)).body.server.status === 'ACTIVE');
  const updated = await c.nova.call('PUT', `/v2.1/servers/${id}`, { token: c.demo, body: { server: { accessIPv6: '::FFFF:10.0.0.1' } } });
  t.is(updated.status, 200, JSON.stringify(updated.body));
  t.is(updated.body.server.accessIPv6, '::ffff:10.0.0.1');
  const rebuilt = await c.nova.call('POST', `/v2.1/servers/${id}/action`, {
    token: c.demo,
    body: { rebuild: { imageRef: TINY_IMAGE_ID, accessIPv6: '2001:DB8:0:0:1:0:0:1' } },
  });
  t.is(rebuilt.status, 202, JSON.stringify(rebuilt.body));
  t.is(rebuilt.body.server.accessIPv6, '2001:db8::1:0:0:1');
  const bad = await boot(c.nova, c.demo, 'bad-v6', { accessIPv6: 'not-an-address' });
  novaRefused(t, bad, 400, "Invalid input for field/attribute accessIPv6. Value: not-an-address. 'not-an-address' is not a 'ipv6'");
});

test('rebuild at 2.75: the answer is the full view without the admins’ OS-EXT-SRV-ATTR:user_data (user_data instead)', async (t) => {
  const r = await boot(c.nova, c.admin, 'rebuilt-275', { user_data: Buffer.from('hello').toString('base64'), networks: 'none' }, at('2.75'));
  t.is(r.status, 202, JSON.stringify(r.body));
  const id = r.body.server.id as string;
  await eventually(async () => (await get(`/v2.1/servers/${id}`)).body.server.status === 'ACTIVE');
  const shown = await get(`/v2.1/servers/${id}`, c.admin, '2.75');
  t.is(shown.body.server['OS-EXT-SRV-ATTR:user_data'], Buffer.from('hello').toString('base64'));
  const rebuilt = await c.nova.call('POST', `/v2.1/servers/${id}/action`, {
    token: c.admin,
    headers: at('2.75'),
    body: { rebuild: { imageRef: TINY_IMAGE_ID } },
  });
  t.is(rebuilt.status, 202, JSON.stringify(rebuilt.body));
  t.false('OS-EXT-SRV-ATTR:user_data' in rebuilt.body.server);
  t.is(rebuilt.body.server.user_data, Buffer.from('hello').toString('base64'));
  t.is(rebuilt.body.server['OS-EXT-SRV-ATTR:hostname'], shown.body.server['OS-EXT-SRV-ATTR:hostname']);
});

test('os-simple-tenant-usage/ with an empty project id is no route (404), the list without the slash answers', async (t) => {
  const period = 'start=2020-01-01T00:00:00&end=2030-01-01T00:00:00';
  novaRefused(t, await get(`/v2.1/os-simple-tenant-usage/?${period}`), 404, 'The resource could not be found.');
  const list = await get(`/v2.1/os-simple-tenant-usage?${period}`);
  t.is(list.status, 200, JSON.stringify(list.body));
  t.true(Array.isArray(list.body.tenant_usages));
});

test('scheduler hints same_host and different_host place a boot with or away from the servers named (Nova’s filters)', async (t) => {
  const hostOf = async (id: string) => {
    await eventually(async () => (await get(`/v2.1/servers/${id}`)).body.server.status !== 'BUILD');
    return (await get(`/v2.1/servers/${id}`)).body.server as Record<string, string>;
  };
  const bootHinted = async (name: string, hints: Record<string, unknown>) => {
    const r = await c.nova.call('POST', '/v2.1/servers', {
      token: c.demo,
      body: { server: { name, imageRef: TINY_IMAGE_ID, flavorRef: '1' }, 'os:scheduler_hints': hints },
    });
    t.is(r.status, 202, JSON.stringify(r.body));
    return r.body.server.id as string;
  };
  const first = await hostOf(await bootHinted('hint-a', {}));
  const firstHost = first['OS-EXT-SRV-ATTR:host'];
  t.truthy(firstHost);
  for (let i = 0; i < 3; i++) {
    const same = await hostOf(await bootHinted(`hint-same-${i}`, { same_host: first.id }));
    t.is(same['OS-EXT-SRV-ATTR:host'], firstHost);
  }
  const other = await hostOf(await bootHinted('hint-other', { different_host: [first.id] }));
  t.is(other.status, 'ACTIVE');
  t.not(other['OS-EXT-SRV-ATTR:host'], firstHost);
  // Both hosts hold one of the servers named: no host is left.
  const none = await hostOf(await bootHinted('hint-none', { different_host: [first.id, other.id] }));
  t.is(none.status, 'ERROR');
  t.regex((none as any).fault.message, /^No valid host was found/);
  const tooMany = await c.nova.call('POST', '/v2.1/servers', {
    token: c.demo,
    body: {
      server: { name: 'hint-many', imageRef: TINY_IMAGE_ID, flavorRef: '1' },
      'os:scheduler_hints': { same_host: Array.from({ length: 1001 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`) },
    },
  });
  novaRefused(t, tooMany, 400, 'The scheduler hint same_host names more than 1000 servers.');
});

test('OS-DCF:diskConfig given to a rebuild or a resize is the server’s from then on; a resize without it is MANUAL (Nova)', async (t) => {
  const r = await boot(c.nova, c.demo, 'disk-config', { 'OS-DCF:diskConfig': 'AUTO' });
  t.is(r.status, 202, JSON.stringify(r.body));
  const id = r.body.server.id as string;
  const settled = async (status: string) => {
    await eventually(async () => {
      const s = (await get(`/v2.1/servers/${id}`, c.demo)).body.server;
      return s.status === status && s['OS-EXT-STS:task_state'] === null;
    });
    return (await get(`/v2.1/servers/${id}`, c.demo)).body.server['OS-DCF:diskConfig'] as string;
  };
  t.is(await settled('ACTIVE'), 'AUTO');
  const act = (body: unknown) => c.nova.call('POST', `/v2.1/servers/${id}/action`, { token: c.demo, body });
  const rebuilt = await act({ rebuild: { imageRef: TINY_IMAGE_ID, 'OS-DCF:diskConfig': 'MANUAL' } });
  t.is(rebuilt.status, 202, JSON.stringify(rebuilt.body));
  t.is(rebuilt.body.server['OS-DCF:diskConfig'], 'MANUAL');
  t.is(await settled('ACTIVE'), 'MANUAL');
  t.is((await act({ resize: { flavorRef: '2', 'OS-DCF:diskConfig': 'AUTO' } })).status, 202);
  t.is(await settled('VERIFY_RESIZE'), 'AUTO');
  t.is((await act({ confirmResize: null })).status, 204);
  t.is(await settled('ACTIVE'), 'AUTO');
  t.is((await act({ resize: { flavorRef: '3' } })).status, 202);
  t.is(await settled('VERIFY_RESIZE'), 'MANUAL');
});

test('rebuild from 2.54 names the server’s key pair in its answer (Tempest’s 2.54 and 2.57 rebuild schemas)', async (t) => {
  const key = await c.nova.call('POST', '/v2.1/os-keypairs', { token: c.demo, body: { keypair: { name: 'rebuild-key' } } });
  t.is(key.status, 200, JSON.stringify(key.body));
  const r = await boot(c.nova, c.demo, 'rebuild-key', { key_name: 'rebuild-key' });
  const id = r.body.server.id as string;
  await eventually(async () => (await get(`/v2.1/servers/${id}`, c.demo)).body.server.status === 'ACTIVE');
  for (const [version, body, expected] of [
    ['2.54', { imageRef: TINY_IMAGE_ID, key_name: null }, null],
    ['2.57', { imageRef: TINY_IMAGE_ID, key_name: 'rebuild-key' }, 'rebuild-key'],
  ] as const) {
    const rebuilt = await c.nova.call('POST', `/v2.1/servers/${id}/action`, { token: c.demo, headers: at(version), body: { rebuild: body } });
    t.is(rebuilt.status, 202, JSON.stringify(rebuilt.body));
    t.true('key_name' in rebuilt.body.server, version);
    t.is(rebuilt.body.server.key_name, expected, version);
    await eventually(async () => (await get(`/v2.1/servers/${id}`, c.demo)).body.server.status === 'ACTIVE');
  }
  const older = await c.nova.call('POST', `/v2.1/servers/${id}/action`, {
    token: c.demo,
    headers: at('2.53'),
    body: { rebuild: { imageRef: TINY_IMAGE_ID } },
  });
  t.is(older.status, 202);
  t.false('key_name' in older.body.server);
});
