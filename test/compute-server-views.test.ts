import test from 'ava';
import { ref } from '../runtime/ref.js';
import { at, boot, bootActive, startComputeCloud, TINY_IMAGE_ID, type ComputeCloud } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';

// The server views per microversion, each boundary from both sides, for admins and members;
// and every shape at every version judged by the response oracle (Tempest's schemas), which the
// test cloud runs on every response.
let c: ComputeCloud;
let id: string;
test.before(async () => {
  c = await startComputeCloud('compute-server-views', { libvirt: { simulatedHosts: 2 } });
  id = await bootActive(
    c,
    c.demo,
    'viewed',
    { networks: 'none', metadata: { a: '1' }, tags: ['t'], trusted_image_certificates: ['cert-1'] },
    at('2.93'),
  );
});
test.after.always(async () => {
  await c?.stop();
});

const show = async (version: string, token = c.admin, server = id) =>
  (await c.nova.call('GET', `/v2.1/servers/${server}`, { token, headers: at(version) })).body.server;
const detail = async (version: string, token = c.admin) =>
  (await c.nova.call('GET', `/v2.1/servers/detail${token === c.admin ? '?all_tenants=1' : ''}`, { token, headers: at(version) })).body.servers.find(
    (s: any) => s.id === id,
  );
const has = (server: Record<string, unknown>, ...keys: string[]) => keys.every((k) => k in server);
const lacks = (server: Record<string, unknown>, ...keys: string[]) => keys.every((k) => !(k in server));

test.serial(
  '2.3 adds the extended attributes for admins only: reservation, launch index, hostname, kernel, ramdisk, root device, user data',
  async (t) => {
    const keys = [
      'OS-EXT-SRV-ATTR:reservation_id',
      'OS-EXT-SRV-ATTR:launch_index',
      'OS-EXT-SRV-ATTR:hostname',
      'OS-EXT-SRV-ATTR:kernel_id',
      'OS-EXT-SRV-ATTR:ramdisk_id',
      'OS-EXT-SRV-ATTR:root_device_name',
      'OS-EXT-SRV-ATTR:user_data',
    ];
    const v22 = await show('2.2');
    t.true(has(v22, 'OS-EXT-SRV-ATTR:host', 'OS-EXT-SRV-ATTR:instance_name', 'OS-EXT-SRV-ATTR:hypervisor_hostname'));
    t.true(lacks(v22, ...keys));
    const v23 = await show('2.3');
    t.like(v23, {
      'OS-EXT-SRV-ATTR:launch_index': 0,
      'OS-EXT-SRV-ATTR:hostname': 'viewed',
      'OS-EXT-SRV-ATTR:kernel_id': '',
      'OS-EXT-SRV-ATTR:ramdisk_id': '',
      'OS-EXT-SRV-ATTR:root_device_name': '/dev/vda',
      'OS-EXT-SRV-ATTR:user_data': null,
    });
    t.regex(v23['OS-EXT-SRV-ATTR:reservation_id'], /^r-/);
    t.true(lacks(await show('2.3', c.demo), 'OS-EXT-SRV-ATTR:host', ...keys));
    t.true(has(await detail('2.3'), ...keys));
  },
);

test.serial('2.9 adds locked, 2.16 host_status (admins), 2.19 description, 2.26 tags', async (t) => {
  t.false('locked' in (await show('2.8')));
  t.is((await show('2.9', c.demo)).locked, false);
  t.false('host_status' in (await show('2.15')));
  t.is((await show('2.16')).host_status, 'UP');
  t.is((await detail('2.16')).host_status, 'UP');
  t.false('host_status' in (await show('2.16', c.demo)));
  t.false('description' in (await show('2.18', c.demo)));
  t.is((await show('2.19', c.demo)).description, null);
  t.false('tags' in (await show('2.25', c.demo)));
  t.deepEqual((await show('2.26', c.demo)).tags, ['t']);
  t.deepEqual((await detail('2.26', c.demo)).tags, ['t']);
});

test.serial('host_status follows the host’s compute service: MAINTENANCE when disabled, back to UP', async (t) => {
  const host = (await show('2.16'))['OS-EXT-SRV-ATTR:host'];
  await c.cloud.node.ask(ref('host', host), 'disable', { reason: 'test' });
  t.is((await show('2.16')).host_status, 'MAINTENANCE');
  await c.cloud.node.ask(ref('host', host), 'enable', {});
  t.is((await show('2.16')).host_status, 'UP');
});

test.serial('2.47 embeds the flavor, extra specs for every reader; before it the flavor is a link', async (t) => {
  t.deepEqual((await show('2.46', c.demo)).flavor, { id: '1', links: [{ rel: 'bookmark', href: `${c.cloud.compute!.url}/flavors/1` }] });
  const embedded = { vcpus: 1, ram: 512, disk: 1, ephemeral: 0, swap: 0, original_name: 'm1.tiny', extra_specs: {} };
  t.deepEqual((await show('2.47', c.demo)).flavor, embedded);
  t.deepEqual((await detail('2.47')).flavor, embedded);
  // The flavor as booted: its extra specs then, kept with the server.
  t.is(
    (await c.nova.call('POST', '/v2.1/flavors/2/os-extra_specs', { token: c.admin, body: { extra_specs: { 'hw:cpu_policy': 'shared' } } })).status,
    200,
  );
  const specced = await bootActive(c, c.demo, 'specced', { flavorRef: '2' });
  t.deepEqual((await show('2.47', c.demo, specced)).flavor.extra_specs, { 'hw:cpu_policy': 'shared' });
  await c.nova.call('DELETE', '/v2.1/flavors/2/os-extra_specs/hw:cpu_policy', { token: c.admin });
  t.deepEqual(
    (await show('2.47', c.demo, specced)).flavor.extra_specs,
    { 'hw:cpu_policy': 'shared' },
    'a later change to the flavor does not reach the server',
  );
});

test.serial('2.63 trusted certificates, 2.71 server groups in show only, 2.73 locked_reason, 2.90 hostname for everyone', async (t) => {
  t.false('trusted_image_certificates' in (await show('2.62')));
  t.deepEqual((await show('2.63', c.demo)).trusted_image_certificates, ['cert-1']);
  t.false('server_groups' in (await show('2.70')));
  t.deepEqual((await show('2.71', c.demo)).server_groups, []);
  t.false('server_groups' in (await detail('2.71')), 'lists leave server_groups out');
  t.false('locked_reason' in (await show('2.72')));
  t.is((await show('2.73', c.demo)).locked_reason, null);
  t.false('OS-EXT-SRV-ATTR:hostname' in (await show('2.89', c.demo)));
  t.is((await show('2.90', c.demo))['OS-EXT-SRV-ATTR:hostname'], 'viewed');
  t.is((await detail('2.90', c.demo))['OS-EXT-SRV-ATTR:hostname'], 'viewed');
  t.true(lacks(await show('2.90', c.demo), 'OS-EXT-SRV-ATTR:host', 'OS-EXT-SRV-ATTR:reservation_id'));
});

test.serial('versions that change no server view show the same body on both sides', async (t) => {
  for (const [before, after] of [
    ['2.36', '2.37'],
    ['2.37', '2.38'],
    ['2.68', '2.69'],
    ['2.78', '2.79'],
    ['2.92', '2.93'],
  ]) {
    t.deepEqual(await show(before, c.demo), await show(after, c.demo), `${before} → ${after}`);
  }
  t.deepEqual((await show('2.79'))['os-extended-volumes:volumes_attached'], []);
});

test.serial('hostId is a project’s digest of its host, shared by its servers there; a server without a host has none', async (t) => {
  const first = await show('2.1');
  const second = await bootActive(c, c.demo, 'neighbour', { availability_zone: `nova:${first['OS-EXT-SRV-ATTR:host']}` }, {}).catch(() => undefined);
  t.regex(first.hostId, /^[0-9a-f]{56}$/);
  const mine = await bootActive(c, c.admin, 'admins', { availability_zone: `nova:${first['OS-EXT-SRV-ATTR:host']}` });
  t.not((await show('2.1', c.admin, mine)).hostId, first.hostId, 'another project, another id for the same host');
  t.is(second, undefined, 'a member cannot force a host');
  const nowhere = (await boot(c.nova, c.admin, 'nowhere', { availability_zone: 'nova:no-such-host' })).body.server.id;
  await eventually(async () => (await show('2.1', c.admin, nowhere)).status === 'ERROR');
  const failed = await show('2.1', c.admin, nowhere);
  t.is(failed.hostId, '');
  t.like(failed.fault, { code: 500, message: 'No valid host was found. There are not enough hosts available.' });
  t.false('progress' in failed);
});

test.serial('every server response satisfies Tempest’s schema for its microversion', async (t) => {
  const statuses: Array<[string, number]> = [];
  const record = async (version: string, verb: string, path: string, token = c.demo, body?: unknown) => {
    const r = await c.nova.call(verb, path, { token, body, headers: at(version) });
    statuses.push([`${verb} ${path} at ${version}`, r.status]);
    return r;
  };
  const failed = (await c.nova.call('GET', '/v2.1/servers/detail?status=ERROR&all_tenants=1', { token: c.admin })).body.servers[0]?.id;
  t.truthy(failed, 'an ERROR server (with its fault) is among the shapes');
  const deleted = await bootActive(c, c.demo, 'gone', {});
  await c.nova.call('DELETE', `/v2.1/servers/${deleted}`, { token: c.demo });
  await eventually(async () => (await c.nova.call('GET', `/v2.1/servers/${deleted}`, { token: c.demo })).status === 404);
  for (let minor = 1; minor <= 93; minor++) {
    const v = `2.${minor}`;
    for (const token of [c.admin, c.demo]) {
      await record(v, 'GET', `/v2.1/servers/${id}`, token);
      await record(v, 'GET', '/v2.1/servers?limit=2', token);
      // Admins see every project; the member's list holds a deleted server through changes-since.
      await record(
        v,
        'GET',
        token === c.admin ? '/v2.1/servers/detail?all_tenants=1' : '/v2.1/servers/detail?changes-since=2020-01-01T00:00:00Z',
        token,
      );
      await record(v, 'PUT', `/v2.1/servers/${id}`, token, { server: { name: 'viewed' } });
    }
    await record(v, 'GET', `/v2.1/servers/${failed}`, c.admin);
    if (minor >= 26) {
      await record(v, 'GET', `/v2.1/servers/${id}/tags`);
      await record(v, 'PUT', `/v2.1/servers/${id}/tags`, c.demo, { tags: ['t'] });
      await record(v, 'PUT', `/v2.1/servers/${id}/tags/u${minor}`);
      await record(v, 'PUT', `/v2.1/servers/${id}/tags/u${minor}`);
      await record(v, 'GET', `/v2.1/servers/${id}/tags/t`);
      await record(v, 'DELETE', `/v2.1/servers/${id}/tags/u${minor}`);
    }
  }
  await record('2.1', 'GET', `/v2.1/servers/${id}/metadata`);
  await record('2.1', 'PUT', `/v2.1/servers/${id}/metadata`, c.demo, { metadata: { a: '1', b: '2' } });
  await record('2.1', 'POST', `/v2.1/servers/${id}/metadata`, c.demo, { metadata: { c: '3' } });
  await record('2.1', 'PUT', `/v2.1/servers/${id}/metadata/d`, c.demo, { meta: { d: '4' } });
  await record('2.1', 'GET', `/v2.1/servers/${id}/metadata/d`);
  await record('2.1', 'DELETE', `/v2.1/servers/${id}/metadata/d`);
  await record('2.93', 'DELETE', `/v2.1/servers/${id}/tags`);
  for (const v of ['2.1', '2.52', '2.93']) {
    const created = await record(v, 'POST', '/v2.1/servers', c.demo, {
      server: { name: 'schema', imageRef: TINY_IMAGE_ID, flavorRef: '1', ...(v === '2.1' ? {} : { networks: 'auto' }) },
    });
    await record(v, 'DELETE', `/v2.1/servers/${created.body.server.id}`);
  }
  // The oracle turns a response that violates its schema into a 500: every one here passed.
  t.deepEqual(
    statuses.filter(([, status]) => status >= 300),
    [],
  );
  const { checked, violations } = c.oracle!.coverage();
  t.deepEqual(violations, []);
  const routes = new Set(checked.map((r) => r.route));
  for (const route of [
    'GET /v2.1/servers/{server_id}',
    'PUT /v2.1/servers/{server_id}',
    'GET /v2.1/servers/detail',
    'GET /v2.1/servers/{server_id}/metadata/{key}',
    'PUT /v2.1/servers/{server_id}/tags/{tag}',
    'DELETE /v2.1/servers/{server_id}/tags',
  ])
    t.true(routes.has(route), `${route} was judged`);
});
