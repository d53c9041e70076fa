import test from 'ava';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { openstack } from './helpers/cloud-process.js';
import { at, bootActive, startComputeCloud, type ComputeCloud } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';
import { novaRefused } from './helpers/refusals.js';
import { issueToken, sweepTokens, validToken } from '../services/consoles/tokens.js';

// Issue 21's console API on simulated hosts (libvirt's test driver has no consoles): Nova's refusals for every path
// a console request can take, the admin's token check, and the token rows (hashes only, removed with their server).
// A console URL of a real guest is asserted in the real-guest console suite.

let c: ComputeCloud;
let active: string;

test.before(async () => {
  c = await startComputeCloud('consoles-api', { libvirt: { hosts: [{ name: 'compute-1' }, { name: 'compute-2' }] } });
  active = await bootActive(c, c.demo, 'console-one');
});
test.after.always(async () => {
  await c?.stop();
});

const post = (id: string, body: unknown, version: string, token = c.demo) =>
  c.nova.call('POST', `/v2.1/servers/${id}/remote-consoles`, { token, body, headers: at(version) });
const act = (id: string, body: unknown, version = '2.1', token = c.demo) =>
  c.nova.call('POST', `/v2.1/servers/${id}/action`, { token, body, headers: at(version) });
const osc = (...args: string[]) => openstack(join(c.dir, 'clouds.yaml'), args);
const NOT_SUPPORTED = 'The requested functionality is not supported.';

test.serial('a simulated host’s server has no console: 501 as Nova answers for a driver without one, at 2.6 and by the legacy actions', async (t) => {
  for (const [protocol, type] of [
    ['vnc', 'novnc'],
    ['spice', 'spice-html5'],
    ['serial', 'serial'],
  ]) {
    novaRefused(t, await post(active, { remote_console: { protocol, type } }, '2.6'), 501, NOT_SUPPORTED);
  }
  novaRefused(t, await act(active, { 'os-getVNCConsole': { type: 'novnc' } }), 501, NOT_SUPPORTED);
  novaRefused(t, await act(active, { 'os-getSPICEConsole': { type: 'spice-html5' } }), 501, NOT_SUPPORTED);
  novaRefused(t, await act(active, { 'os-getSerialConsole': { type: 'serial' } }), 501, NOT_SUPPORTED);
  t.is(await c.cloud.db.models.ConsoleAuthToken.count(), 0, 'no token issued');
});

test.serial(
  'bad requests: 400 for types Nova’s schema or manager refuses; 404 for the route below 2.6 and the legacy actions above 2.5',
  async (t) => {
    novaRefused(
      t,
      await post(active, { remote_console: { protocol: 'rdp', type: 'rdp-html5' } }, '2.6'),
      400,
      /remote_console.protocol|is not one of/,
    );
    novaRefused(t, await post(active, { remote_console: { protocol: 'vnc', type: 'serial' } }, '2.6'), 400, 'Invalid console type serial');
    novaRefused(t, await post(active, { remote_console: { protocol: 'vnc', type: 'xvpvnc' } }, '2.6'), 400, 'Invalid console type xvpvnc');
    novaRefused(t, await post(active, { remote_console: { protocol: 'mks', type: 'webmks' } }, '2.6'), 400, /is not one of/);
    novaRefused(t, await post(active, { remote_console: { protocol: 'mks', type: 'webmks' } }, '2.8'), 501, NOT_SUPPORTED);
    novaRefused(t, await post(active, { remote_console: { protocol: 'vnc' } }, '2.6'), 400, /'type' is a required property/);
    novaRefused(t, await post(active, { remote_console: { protocol: 'vnc', type: 'novnc' } }, '2.5'), 404, 'The resource could not be found.');
    novaRefused(t, await act(active, { 'os-getVNCConsole': { type: 'spice-html5' } }), 400, /is not one of/);
    novaRefused(t, await act(active, { 'os-getVNCConsole': { type: 'novnc' } }, '2.6'), 404, 'The resource could not be found.');
  },
);

test.serial('another project’s server is 404; a stopped server is 409 (not ready)', async (t) => {
  const admins = await bootActive(c, c.admin, 'admins-console');
  novaRefused(t, await post(admins, { remote_console: { protocol: 'vnc', type: 'novnc' } }, '2.6'), 404, `Instance ${admins} could not be found.`);
  novaRefused(t, await act(admins, { 'os-getSerialConsole': { type: 'serial' } }), 404, `Instance ${admins} could not be found.`);
  const stopped = await bootActive(c, c.demo, 'stopped-console');
  t.is((await act(stopped, { 'os-stop': null })).status, 202);
  await eventually(async () => (await c.nova.call('GET', `/v2.1/servers/${stopped}`, { token: c.demo })).body.server.status === 'SHUTOFF');
  novaRefused(t, await post(stopped, { remote_console: { protocol: 'vnc', type: 'novnc' } }, '2.6'), 409, `Instance ${stopped} is not ready`);
  novaRefused(t, await act(stopped, { 'os-getVNCConsole': { type: 'novnc' } }), 409, `Instance ${stopped} is not ready`);
});

test.serial('the CLI’s console url show at 2.1 and at 2.6 prints Nova’s refusal for a simulated host', async (t) => {
  for (const version of ['2.1', '2.6']) {
    const r = await osc('--os-cloud', 'stratus-demo', '--os-compute-api-version', version, 'console', 'url', 'show', '--novnc', 'console-one');
    t.not(r.code, 0);
    t.regex(r.stderr, /501.*The requested functionality is not supported\./s, version);
  }
});

test.serial('a token is stored by its SHA-256 only, opens its console until it expires, and the admin API shows it from 2.31', async (t) => {
  const models = c.cloud.db.models;
  const now = Date.now();
  const { token, row } = await issueToken(
    models,
    {
      consoleType: 'novnc',
      instanceUuid: active,
      computeHost: (await models.Instance.findByPk(active))!.get('host') as string,
      host: '127.0.0.1',
      port: 5901,
      ttlMs: 600_000,
    },
    now,
  );
  t.is(row.token_hash, createHash('sha256').update(token).digest('hex'));
  const stored = JSON.stringify(await models.ConsoleAuthToken.findAll({ raw: true }));
  t.false(stored.includes(token), 'the token itself is nowhere in the table');
  t.like(await validToken(models, token, 'novnc', now + 1_000), { row: { id: row.id } });
  t.deepEqual(await validToken(models, token, 'serial', now + 1_000), { refused: 'type' });
  t.deepEqual(await validToken(models, token, 'novnc', now + 600_000), { refused: 'expired' });
  t.deepEqual(await validToken(models, `${token}x`, 'novnc', now), { refused: 'unknown' });

  const shown = await c.nova.call('GET', `/v2.1/os-console-auth-tokens/${token}`, { token: c.admin, headers: at('2.31') });
  t.is(shown.status, 200, JSON.stringify(shown.body));
  t.deepEqual(shown.body, { console: { instance_uuid: active, host: '127.0.0.1', port: 5901, internal_access_path: null } });
  novaRefused(
    t,
    await c.nova.call('GET', `/v2.1/os-console-auth-tokens/${token}`, { token: c.admin, headers: at('2.30') }),
    401,
    'The requested console type details are not accessible',
  );
  novaRefused(
    t,
    await c.nova.call('GET', `/v2.1/os-console-auth-tokens/${token}`, { token: c.demo, headers: at('2.31') }),
    403,
    /os-console-auth-tokens/,
  );
  novaRefused(
    t,
    await c.nova.call('GET', '/v2.1/os-console-auth-tokens/not-a-token', { token: c.admin, headers: at('2.31') }),
    404,
    'Token not found',
  );
});

test.serial('tokens are swept when expired, when their server is deleted and when it moves to another host', async (t) => {
  const models = c.cloud.db.models;
  const now = Date.now();
  const moving = await bootActive(c, c.demo, 'moving-console');
  const deleted = await bootActive(c, c.demo, 'deleted-console');
  const hostOf = async (id: string) => (await models.Instance.findByPk(id))!.get('host') as string;
  const issue = async (id: string, ttlMs = 600_000) =>
    issueToken(models, { consoleType: 'serial', instanceUuid: id, computeHost: await hostOf(id), host: '127.0.0.1', port: 10000, ttlMs }, now);
  const expiring = await issue(active, 1_000);
  const staying = await issue(active);
  const moved = await issue(moving);
  const gone = await issue(deleted);

  // A move changes the server's host (here written directly: the simulated hosts' moves are another suite's).
  await models.Instance.update({ host: (await hostOf(moving)) === 'compute-1' ? 'compute-2' : 'compute-1' }, { where: { uuid: moving } });
  t.deepEqual(await validToken(models, moved.token, 'serial', now), { refused: 'moved' });
  t.is((await c.nova.call('DELETE', `/v2.1/servers/${deleted}`, { token: c.demo })).status, 204);
  await eventually(async () => (await c.nova.call('GET', `/v2.1/servers/${deleted}`, { token: c.demo })).status === 404);

  t.true((await sweepTokens(models, now + 2_000)) >= 2, 'the expired and the deleted server’s');
  const left = (await models.ConsoleAuthToken.findAll({ raw: true })).map((r) => (r as unknown as { id: string }).id);
  t.true(left.includes(staying.row.id));
  for (const g of [expiring, moved, gone]) t.false(left.includes(g.row.id));
});
