import test from 'ava';
import { join } from 'node:path';
import { SimulatedClock } from '../runtime/clock.js';
import { openstack } from './helpers/cloud-process.js';
import { readRow } from '../models/typed.js';
import { at, bootActive, domainsOf, startComputeCloud, type ComputeCloud } from './helpers/compute.js';
import { drive, eventually } from './helpers/drive.js';
import { novaRefused } from './helpers/refusals.js';

// Resize (confirm, revert, automatic confirmation), cold and live migration between simulated hosts through
// the Compute API, with Nova's refusals, instance actions and migration records, and their effect on the hosts.
const clock = new SimulatedClock(Date.UTC(2026, 11, 7, 3));
let c: ComputeCloud;
let member: string;
// Short of the tokens' hour on the simulated clock.
const CONFIRM_WINDOW_S = 300;

test.before(async () => {
  c = await startComputeCloud(
    'compute-migrations',
    {
      libvirt: {
        hosts: [
          { name: 'compute-1', memoryMb: 16384, vcpus: 8 },
          { name: 'compute-2', memoryMb: 16384, vcpus: 8 },
          { name: 'compute-3', memoryMb: 16384, vcpus: 8 },
        ],
      },
      moves: { resizeConfirmWindowS: CONFIRM_WINDOW_S },
    },
    clock,
  );
  member = c.demo;
});
test.after.always(async () => {
  await c?.stop();
});

const act = (id: string, body: unknown, version = '2.93', token = c.admin) =>
  c.nova.call('POST', `/v2.1/servers/${id}/action`, { token, body, headers: at(version) });
const show = async (id: string, version = '2.93') =>
  (await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.admin, headers: at(version) })).body.server;
const hostOf = async (id: string) => (await show(id))['OS-EXT-SRV-ATTR:host'] as string;

async function until(id: string, done: (s: any) => boolean): Promise<any> {
  let server: any;
  try {
    await eventually(async () => done((server = await show(id))), 30_000);
  } catch (e) {
    const crashes = await c.cloud.db.models.ActorCrash.findAll({ raw: true });
    const dead = await c.cloud.db.models.DeadLetter.findAll({ raw: true });
    throw new Error(
      `${(e as Error).message}: ${JSON.stringify(server)} ${JSON.stringify(crashes).slice(0, 3000)} ${JSON.stringify(dead).slice(0, 2000)}`,
    );
  }
  return server;
}
const settledIn = (id: string, status: string) => until(id, (s) => s.status === status && s['OS-EXT-STS:task_state'] === null);

/** Where each server's domain is, by host name, read from the hypervisors. */
async function domainHosts(): Promise<Map<string, { host: string; powerState: number }>> {
  const byUri = new Map(c.cloud.hosts.map((h) => [h.uri, h.name]));
  const all = await domainsOf(c.cloud.hosts.map((h) => h.uri));
  return new Map([...all].map(([uuid, d]) => [uuid, { host: byUri.get(d.uri)!, powerState: d.powerState }]));
}

async function hypervisors(): Promise<Map<string, { vcpus_used: number; memory_mb_used: number; running_vms: number }>> {
  const r = await c.nova.call('GET', '/v2.1/os-hypervisors/detail', { token: c.admin, headers: at('2.1') });
  return new Map(r.body.hypervisors.map((h: any) => [h.hypervisor_hostname, h]));
}

async function actionsOf(id: string) {
  return (await c.nova.call('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: c.admin, headers: at('2.93') })).body.instanceActions as any[];
}
async function eventsOf(id: string, requestId: string) {
  return (await c.nova.call('GET', `/v2.1/servers/${id}/os-instance-actions/${requestId}`, { token: c.admin, headers: at('2.93') })).body
    .instanceAction;
}

test.serial('resize to m1.small then confirm: VERIFY_RESIZE on another host, the flavor changed, capacity moved at confirm', async (t) => {
  const id = await bootActive(c, member, 'resizer');
  const source = await hostOf(id);
  const before = await hypervisors();
  const r = await act(id, { resize: { flavorRef: '2' } }, '2.93', member);
  t.is(r.status, 202, JSON.stringify(r.body));
  const resized = await until(id, (s) => s.status === 'VERIFY_RESIZE');
  const dest = resized['OS-EXT-SRV-ATTR:host'];
  t.not(dest, source, 'resized onto another host (allow_resize_to_same_host is off)');
  t.like(resized, { 'OS-EXT-STS:vm_state': 'resized', 'OS-EXT-STS:task_state': null, 'OS-EXT-STS:power_state': 1 });
  t.like(resized.flavor, { original_name: 'm1.small', ram: 2048, vcpus: 1, disk: 20 });
  const domains = await domainHosts();
  t.is(domains.get(id)?.host, dest, 'the domain is defined on the destination only');
  t.is(domains.get(id)?.powerState, 1);
  const during = await hypervisors();
  t.is(during.get(source)!.memory_mb_used, before.get(source)!.memory_mb_used, 'the source keeps its claim until confirmed');
  t.is(during.get(dest)!.memory_mb_used, before.get(dest)!.memory_mb_used + 2048, 'the destination claimed the new flavor');

  const confirm = await act(id, { confirmResize: null }, '2.93', member);
  t.is(confirm.status, 204, JSON.stringify(confirm.body));
  t.like(await settledIn(id, 'ACTIVE'), { 'OS-EXT-SRV-ATTR:host': dest, 'OS-EXT-STS:vm_state': 'active' });
  const after = await hypervisors();
  t.is(after.get(source)!.memory_mb_used, before.get(source)!.memory_mb_used - 512, 'the source freed the old flavor');
  t.is(after.get(source)!.running_vms, before.get(source)!.running_vms - 1);

  const actions = await actionsOf(id);
  t.deepEqual(
    actions.map((a) => a.action),
    ['confirmResize', 'resize', 'create'],
  );
  const resize = await eventsOf(id, actions[1].request_id);
  t.deepEqual(resize.events.map((e: any) => e.event).sort(), ['compute_finish_resize', 'compute_prep_resize', 'compute_resize_instance']);
  t.true(resize.events.every((e: any) => e.result === 'Success'));
  const confirmed = await eventsOf(id, actions[0].request_id);
  t.like(confirmed.events[0], { event: 'compute_confirm_resize', result: 'Success', host: source });
});

test.serial('revertResize: back on the source with the old flavor, the destination’s claim and domain gone', async (t) => {
  const id = await bootActive(c, member, 'reverter');
  const source = await hostOf(id);
  const before = await hypervisors();
  t.is((await act(id, { resize: { flavorRef: '3' } }, '2.1', member)).status, 202);
  const dest = (await until(id, (s) => s.status === 'VERIFY_RESIZE'))['OS-EXT-SRV-ATTR:host'];
  t.is((await hypervisors()).get(dest)!.memory_mb_used, before.get(dest)!.memory_mb_used + 4096);
  const revert = await act(id, { revertResize: null }, '2.1', member);
  t.is(revert.status, 202, JSON.stringify(revert.body));
  const back = await settledIn(id, 'ACTIVE');
  t.like(back, { 'OS-EXT-SRV-ATTR:host': source, 'OS-EXT-STS:power_state': 1 });
  t.like(back.flavor, { original_name: 'm1.tiny', ram: 512 });
  t.like((await domainHosts()).get(id), { host: source, powerState: 1 });
  const after = await hypervisors();
  t.is(after.get(dest)!.memory_mb_used, before.get(dest)!.memory_mb_used, 'the destination freed the new flavor');
  t.is(after.get(source)!.memory_mb_used, before.get(source)!.memory_mb_used);
  const actions = await actionsOf(id);
  t.deepEqual(
    actions.map((a) => a.action),
    ['revertResize', 'resize', 'create'],
  );
  const events = (await eventsOf(id, actions[0].request_id)).events;
  t.deepEqual(events.map((e: any) => `${e.event}@${e.host}:${e.result}`).sort(), [
    `compute_finish_revert_resize@${source}:Success`,
    `compute_revert_resize@${dest}:Success`,
  ]);
});

test.serial('a stopped server is resized stopped: its domain only defined on the destination, SHUTOFF after confirm', async (t) => {
  const id = await bootActive(c, member, 'cold-resize');
  t.is((await act(id, { 'os-stop': null })).status, 202);
  await settledIn(id, 'SHUTOFF');
  t.is((await act(id, { resize: { flavorRef: '2', 'OS-DCF:diskConfig': 'AUTO' } })).status, 202);
  const resized = await until(id, (s) => s.status === 'VERIFY_RESIZE');
  t.is(resized['OS-EXT-STS:power_state'], 4);
  t.like((await domainHosts()).get(id), { host: resized['OS-EXT-SRV-ATTR:host'] });
  t.not((await domainHosts()).get(id)?.powerState, 1, 'not started');
  t.is((await act(id, { confirmResize: null })).status, 204);
  t.like(await settledIn(id, 'SHUTOFF'), { 'OS-EXT-STS:vm_state': 'stopped' });
});

test.serial('resize refusals: Nova’s 400s for the flavor, 409s for state and lock, 403 for quota and policy', async (t) => {
  const id = await bootActive(c, member, 'refused');
  novaRefused(t, await act(id, { resize: { flavorRef: '1' } }, '2.1', member), 400, 'Resize requires a flavor change.');
  novaRefused(t, await act(id, { resize: { flavorRef: 'nope' } }, '2.1', member), 400, 'Unable to locate requested flavor.');
  novaRefused(
    t,
    await act(id, { resize: {} }, '2.1', member),
    400,
    /^Invalid input for field\/attribute resize\. .*'flavorRef' is a required property/,
  );
  novaRefused(t, await act(id, { resize: { flavorRef: '2', extra: 1 } }, '2.1', member), 400, /Additional properties are not allowed/);
  novaRefused(t, await act(id, { confirmResize: null }, '2.1', member), 409, `Cannot 'confirmResize' instance ${id} while it is in vm_state active`);
  novaRefused(t, await act(id, { revertResize: null }, '2.1', member), 409, `Cannot 'revertResize' instance ${id} while it is in vm_state active`);
  novaRefused(
    t,
    await act(id, { migrate: null }, '2.1', member),
    403,
    "Policy doesn't allow os_compute_api:os-migrate-server:migrate to be performed.",
  );
  novaRefused(
    t,
    await act(id, { 'os-migrateLive': { host: null, block_migration: 'auto' } }, '2.25', member),
    403,
    "Policy doesn't allow os_compute_api:os-migrate-server:migrate_live to be performed.",
  );
  // Quota: the project may hold one more core than it has now; m1.large adds three.
  const used = (await c.nova.call('GET', '/v2.1/limits', { token: member })).body.limits.absolute.totalCoresUsed as number;
  const demo = (await c.nova.call('GET', `/v2.1/servers/${id}`, { token: member })).body.server.tenant_id as string;
  const quotas = c.cloud.db.models.Quota;
  const kept = (await quotas.findOne({ where: { project_id: demo, resource: 'cores' }, raw: true })) as { hard_limit: number } | null;
  await quotas.upsert({ project_id: demo, resource: 'cores', hard_limit: used + 1 });
  try {
    novaRefused(
      t,
      await act(id, { resize: { flavorRef: '4' } }, '2.1', member),
      403,
      `Quota exceeded for cores: Requested 3, but already used ${used} of ${used + 1} cores`,
    );
  } finally {
    if (kept) await quotas.upsert({ project_id: demo, resource: 'cores', hard_limit: kept.hard_limit });
    else await quotas.destroy({ where: { project_id: demo, resource: 'cores' } });
  }
  t.is((await act(id, { pause: null })).status, 202);
  await settledIn(id, 'PAUSED');
  novaRefused(t, await act(id, { resize: { flavorRef: '2' } }, '2.1', member), 409, `Cannot 'resize' instance ${id} while it is in vm_state paused`);
  novaRefused(t, await act(id, { migrate: null }), 409, `Cannot 'migrate' instance ${id} while it is in vm_state paused`);
  t.is((await act(id, { unpause: null })).status, 202);
  await settledIn(id, 'ACTIVE');
  t.is((await act(id, { lock: null })).status, 202);
  novaRefused(t, await act(id, { resize: { flavorRef: '2' } }, '2.1', member), 409, `Instance ${id} is locked`);
  t.is((await act(id, { unlock: null })).status, 202);
  // A smaller disk (m1.small's 20 GB to m1.tiny's 1 GB).
  t.is((await act(id, { resize: { flavorRef: '2' } }, '2.1', member)).status, 202);
  await until(id, (s) => s.status === 'VERIFY_RESIZE');
  t.is((await act(id, { confirmResize: null }, '2.1', member)).status, 204);
  await settledIn(id, 'ACTIVE');
  novaRefused(
    t,
    await act(id, { resize: { flavorRef: '1' } }, '2.1', member),
    400,
    'Server disk was unable to be resized because: Unable to resize disk down.',
  );
  t.is((await show(id))['OS-EXT-STS:task_state'], null, 'a refused resize leaves the server as it was');
});

test.serial('cold migrate: to a named host from 2.56, anywhere else before; confirm; refusals for the host', async (t) => {
  const id = await bootActive(c, member, 'migrant');
  const source = await hostOf(id);
  const other = ['compute-1', 'compute-2', 'compute-3'].find((h) => h !== source)!;
  novaRefused(t, await act(id, { migrate: { host: 'compute-9' } }, '2.56'), 400, 'Compute host compute-9 could not be found.');
  novaRefused(t, await act(id, { migrate: { host: source } }, '2.56'), 400, 'Cannot migrate to the host where the server exists.');
  novaRefused(t, await act(id, { migrate: { host: 'bad host!' } }, '2.56'), 400, /^Invalid input for field\/attribute host\./);
  const r = await act(id, { migrate: { host: other } }, '2.56');
  t.is(r.status, 202, JSON.stringify(r.body));
  const moved = await until(id, (s) => s.status === 'VERIFY_RESIZE');
  t.is(moved['OS-EXT-SRV-ATTR:host'], other);
  t.like(moved.flavor, { original_name: 'm1.tiny' });
  t.is((await act(id, { confirmResize: null })).status, 204);
  await settledIn(id, 'ACTIVE');
  // Before 2.56 the body's value is not looked at: the scheduler picks a host other than the current one.
  t.is((await act(id, { migrate: { host: 'ignored' } }, '2.55')).status, 202);
  const again = await until(id, (s) => s.status === 'VERIFY_RESIZE');
  t.not(again['OS-EXT-SRV-ATTR:host'], other);
  t.is((await act(id, { confirmResize: null })).status, 204);
  await settledIn(id, 'ACTIVE');
  const actions = await actionsOf(id);
  t.deepEqual(
    actions.slice(0, 4).map((a) => a.action),
    ['confirmResize', 'migrate', 'confirmResize', 'migrate'],
  );
  const listed = (await c.nova.call('GET', `/v2.1/os-migrations?instance_uuid=${id}`, { token: c.admin, headers: at('2.80') })).body.migrations;
  t.is(listed.length, 2);
  t.like(listed[1], {
    migration_type: 'migration',
    status: 'confirmed',
    source_compute: source,
    dest_compute: other,
    old_instance_type_id: 1,
    new_instance_type_id: 1,
  });
});

test.serial('live migration: the running domain moves, capacity follows in os-hypervisors; Nova’s refusals; a paused one stays paused', async (t) => {
  const id = await bootActive(c, member, 'live');
  const source = await hostOf(id);
  const before = await hypervisors();
  const r = await act(id, { 'os-migrateLive': { host: null, block_migration: 'auto' } }, '2.25');
  t.is(r.status, 202, JSON.stringify(r.body));
  const moved = await until(id, (s) => s.status === 'ACTIVE' && s['OS-EXT-SRV-ATTR:host'] !== source && s['OS-EXT-STS:task_state'] === null);
  const dest = moved['OS-EXT-SRV-ATTR:host'];
  t.like((await domainHosts()).get(id), { host: dest, powerState: 1 });
  const after = await hypervisors();
  t.is(after.get(source)!.memory_mb_used, before.get(source)!.memory_mb_used - 512);
  t.is(after.get(dest)!.memory_mb_used, before.get(dest)!.memory_mb_used + 512);
  t.is(after.get(dest)!.running_vms, before.get(dest)!.running_vms + 1);
  const [action] = await actionsOf(id);
  t.is(action.action, 'live-migration');
  const events = (await eventsOf(id, action.request_id)).events;
  t.deepEqual(events.map((e: any) => `${e.event}:${e.result}`).sort(), ['compute_live_migration:Success', 'compute_pre_live_migration:Success']);
  const [record] = (await c.nova.call('GET', `/v2.1/os-migrations?instance_uuid=${id}`, { token: c.admin, headers: at('2.59') })).body.migrations;
  t.like(record, { migration_type: 'live-migration', status: 'completed', source_compute: source, dest_compute: dest });
  t.false('links' in record, 'a finished live migration has no links');

  // Its migrations sub-resource: only live migrations in progress; this one finished.
  const list = await c.nova.call('GET', `/v2.1/servers/${id}/migrations`, { token: c.admin, headers: at('2.80') });
  t.deepEqual(list.body, { migrations: [] });
  novaRefused(
    t,
    await c.nova.call('GET', `/v2.1/servers/${id}/migrations/${record.id}`, { token: c.admin, headers: at('2.23') }),
    404,
    `Live migration ${record.id} for server ${id} is not in progress.`,
  );
  novaRefused(t, await c.nova.call('GET', `/v2.1/servers/${id}/migrations`, { token: c.admin, headers: at('2.22') }), 404, /could not be found/);
  novaRefused(
    t,
    await c.nova.call('POST', `/v2.1/servers/${id}/migrations/${record.id}/action`, {
      token: c.admin,
      headers: at('2.22'),
      body: { force_complete: null },
    }),
    409,
    `Cannot 'force_complete' instance ${id} while it is in task_state None`,
  );
  novaRefused(
    t,
    await c.nova.call('DELETE', `/v2.1/servers/${id}/migrations/${record.id}`, { token: c.admin, headers: at('2.24') }),
    409,
    `Cannot 'abort live migration' instance ${id} while it is in task_state None`,
  );
  novaRefused(t, await c.nova.call('GET', `/v2.1/servers/${id}/migrations`, { token: member, headers: at('2.23') }), 403, /servers:migrations:index/);

  // Refusals: a forced live migration needs a host; a host that does not exist; the current host (before 2.34, at the API).
  novaRefused(
    t,
    await act(id, { 'os-migrateLive': { host: null, block_migration: false, force: true } }, '2.30'),
    400,
    "Can't force to a non-provided destination",
  );
  novaRefused(
    t,
    await act(id, { 'os-migrateLive': { host: 'compute-9', block_migration: 'auto' } }, '2.30'),
    400,
    'Compute host compute-9 could not be found.',
  );
  novaRefused(
    t,
    await act(id, { 'os-migrateLive': { host: dest, block_migration: false, disk_over_commit: false } }, '2.1'),
    400,
    `Unable to migrate instance (${id}) to current host (${dest}).`,
  );
  novaRefused(
    t,
    await act(id, { 'os-migrateLive': { host: null, block_migration: 'auto' } }, '2.24'),
    400,
    /^Invalid input for field\/attribute block_migration\./,
  );
  novaRefused(
    t,
    await act(id, { 'os-migrateLive': { host: null, block_migration: 'auto', force: true } }, '2.68'),
    400,
    /Additional properties are not allowed/,
  );
  // From 2.34 the destination is checked after the answer: the migration ends in error, the server stays.
  t.is((await act(id, { 'os-migrateLive': { host: dest, block_migration: 'auto' } }, '2.34')).status, 202);
  const failed = (await c.nova.call('GET', `/v2.1/os-migrations?instance_uuid=${id}&status=error`, { token: c.admin, headers: at('2.59') })).body
    .migrations;
  t.is(failed.length, 1);
  t.like(await show(id), { status: 'ACTIVE', 'OS-EXT-SRV-ATTR:host': dest });

  // A paused server, forced onto a named host (2.30), arrives paused.
  t.is((await act(id, { pause: null })).status, 202);
  await settledIn(id, 'PAUSED');
  const target = ['compute-1', 'compute-2', 'compute-3'].find((h) => h !== dest)!;
  t.is((await act(id, { 'os-migrateLive': { host: target, block_migration: false, force: 'true' } }, '2.30')).status, 202);
  const paused = await until(id, (s) => s['OS-EXT-SRV-ATTR:host'] === target && s['OS-EXT-STS:task_state'] === null);
  t.is(paused.status, 'PAUSED');
  t.like((await domainHosts()).get(id), { host: target, powerState: 3 });
});

test.serial('automatic confirmation after resize_confirm_window on the simulated clock', async (t) => {
  const id = await bootActive(c, member, 'auto-confirm');
  const source = await hostOf(id);
  t.is((await act(id, { resize: { flavorRef: '2' } }, '2.1', member)).status, 202);
  await until(id, (s) => s.status === 'VERIFY_RESIZE');
  const before = (await hypervisors()).get(source)!.memory_mb_used;
  const confirmed = await drive(
    clock,
    (async () => {
      await eventually(async () => (await show(id)).status === 'ACTIVE', 60_000, 20);
      return show(id);
    })(),
    5_000,
    2 * CONFIRM_WINDOW_S * 1000,
  );
  t.like(confirmed, { status: 'ACTIVE', 'OS-EXT-STS:task_state': null });
  t.is((await hypervisors()).get(source)!.memory_mb_used, before - 512, 'the source freed the old flavor');
  const [action] = await actionsOf(id);
  t.is(action.action, 'confirmResize', 'confirmed by the system, as Nova’s periodic task does');
});

test.serial('os-migrations: fields per microversion, filters, paging from 2.59, admin only', async (t) => {
  const list = (query: string, version: string, token = c.admin) =>
    c.nova.call('GET', `/v2.1/os-migrations${query}`, { token, headers: at(version) });
  const v21 = (await list('', '2.1')).body.migrations;
  t.true(v21.length >= 5);
  t.false('migration_type' in v21[0]);
  t.false('uuid' in v21[0]);
  t.regex(v21[0].created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  const v80 = (await list('', '2.80')).body.migrations;
  t.like(v80[0], { user_id: v80[0].user_id });
  t.truthy(v80[0].uuid);
  t.truthy(v80[0].project_id);
  const resizes = (await list('?migration_type=resize', '2.23')).body.migrations;
  t.true(resizes.length >= 3);
  t.true(resizes.every((m: any) => m.migration_type === 'resize'));
  const first = await list('?limit=1', '2.59');
  t.is(first.body.migrations.length, 1);
  t.regex(first.body.migrations_links[0].href, /os-migrations\?limit=1&marker=/);
  const second = await list(`?limit=1&marker=${first.body.migrations[0].uuid}`, '2.59');
  t.not(second.body.migrations[0].uuid, first.body.migrations[0].uuid);
  novaRefused(t, await list('?marker=nope', '2.59'), 400, 'Marker nope could not be found.');
  novaRefused(t, await list('?foo=1', '2.59'), 400, "Additional properties are not allowed ('foo' was unexpected)");
  t.is((await list('?foo=1', '2.58')).status, 200, 'before 2.59 unknown parameters are ignored');
  const host = (await list('?host=compute-3', '2.1')).body.migrations;
  t.true(host.every((m: any) => m.source_compute === 'compute-3' || m.dest_compute === 'compute-3'));
  novaRefused(t, await list('', '2.1', member), 403, "Policy doesn't allow os_compute_api:os-migrations:index to be performed.");
});

test.serial('evacuate: refused while the host’s service is up; rebuilt on another host once it is forced down, the old copy removed', async (t) => {
  const id = await bootActive(c, c.admin, 'evacuee', { availability_zone: 'nova:compute-1' });
  const before = await hypervisors();
  const evacuate = (body: unknown, version = '2.13', token = c.admin) => act(id, { evacuate: body }, version, token);
  novaRefused(t, await evacuate({ onSharedStorage: false }), 400, 'Compute service of compute-1 is still in use.');
  novaRefused(t, await evacuate({ onSharedStorage: false, host: 'compute-9' }), 404, 'Compute host compute-9 not found.');
  novaRefused(t, await evacuate({ onSharedStorage: false, host: 'compute-1' }), 400, "The target host can't be the same one.");
  novaRefused(t, await evacuate({}, '2.1'), 400, /'onSharedStorage' is a required property/);
  // Another project's server is missing to a member, before the policy (Nova looks the server up first).
  novaRefused(t, await evacuate({ onSharedStorage: false }, '2.1', member), 404, `Instance ${id} could not be found.`);

  const services = (await c.nova.call('GET', '/v2.1/os-services?binary=nova-compute&host=compute-1', { token: c.admin, headers: at('2.53') })).body
    .services;
  const down = (forced: boolean) =>
    c.nova.call('PUT', `/v2.1/os-services/${services[0].id}`, { token: c.admin, headers: at('2.53'), body: { forced_down: forced } });
  t.is((await down(true)).status, 200);
  try {
    const r = await evacuate({ onSharedStorage: false, adminPass: 'Secret-123' });
    t.is(r.status, 200, JSON.stringify(r.body));
    t.deepEqual(r.body, { adminPass: 'Secret-123' }, 'below 2.14 Nova answers the admin password');
    const moved = await until(id, (s) => s['OS-EXT-SRV-ATTR:host'] !== 'compute-1' && s['OS-EXT-STS:task_state'] === null);
    t.is(moved.status, 'ACTIVE');
    const dest = moved['OS-EXT-SRV-ATTR:host'];
    await eventually(async () => (await domainHosts()).get(id)?.host === dest, 10_000);
    t.is((await domainHosts()).get(id)?.powerState, 1);
    await eventually(async () => (await hypervisors()).get('compute-1')!.memory_mb_used === before.get('compute-1')!.memory_mb_used - 512, 10_000);
    const [action] = await actionsOf(id);
    t.is(action.action, 'evacuate');
    const events = (await eventsOf(id, action.request_id)).events;
    t.like(events[0], { event: 'compute_rebuild_instance', result: 'Success', host: dest });
    const [record] = (await c.nova.call('GET', `/v2.1/os-migrations?instance_uuid=${id}`, { token: c.admin, headers: at('2.23') })).body.migrations;
    t.like(record, { migration_type: 'evacuation', status: 'done', source_compute: 'compute-1', dest_compute: dest });
  } finally {
    await down(false);
  }
});

test.serial('on a real host the moves answer 409: resize, migrate, live migration and evacuate are not supported there yet', async (t) => {
  // A real host and a server on it, as rows (no QEMU daemon to pay for): the refusal comes before any actor is asked.
  const models = c.cloud.db.models;
  const template = (await readRow(models.Host, { where: { name: 'compute-1' } }))!;
  await models.Host.create({
    ...template,
    name: 'qemu-fake',
    libvirt_uri: 'qemu+unix:///system?socket=/nonexistent',
    status: 'down',
    service_disabled: true,
  });
  const id = await bootActive(c, member, 'on-real');
  const row = (await readRow(models.Instance, { where: { uuid: id } }))!;
  const real = crypto.randomUUID();
  await models.Instance.create({ ...row, uuid: real, host: 'qemu-fake', node: 'qemu-fake' });
  try {
    const refused = (action: string) =>
      `Cannot '${action}' instance ${real}: moving the disks of a guest on real host qemu-fake is not supported yet.`;
    novaRefused(t, await act(real, { resize: { flavorRef: '2' } }, '2.1', member), 409, refused('resize'));
    novaRefused(t, await act(real, { migrate: null }), 409, refused('migrate'));
    novaRefused(t, await act(real, { 'os-migrateLive': { host: null, block_migration: 'auto' } }, '2.25'), 409, refused('os-migrateLive'));
    novaRefused(t, await act(real, { evacuate: { onSharedStorage: false } }, '2.13'), 409, refused('evacuate'));
  } finally {
    await models.Instance.destroy({ where: { uuid: real } });
    await models.Host.destroy({ where: { name: 'qemu-fake' } });
  }
});

test.serial(
  'a live migration whose destination’s hypervisor does not answer fails: the server stays ACTIVE where it was, the migration in error, the action in error',
  async (t) => {
    const models = c.cloud.db.models;
    const template = (await readRow(models.Host, { where: { name: 'compute-1' } }))!;
    // Registered but gone: its daemon's socket does not exist. Disabled, so no boot is scheduled there.
    await models.Host.create({ ...template, name: 'ghost', libvirt_uri: 'test+unix:///default?socket=/nonexistent/ghost', service_disabled: true });
    try {
      const id = await bootActive(c, member, 'to-ghost');
      const source = await hostOf(id);
      const r = await act(id, { 'os-migrateLive': { host: 'ghost', block_migration: false, force: true } }, '2.30');
      t.is(r.status, 202, JSON.stringify(r.body));
      const records = async () =>
        (await c.nova.call('GET', `/v2.1/os-migrations?instance_uuid=${id}`, { token: c.admin, headers: at('2.59') })).body.migrations;
      await eventually(async () => (await records())[0]?.status === 'error', 30_000);
      t.like((await records())[0], { status: 'error', dest_compute: 'ghost' });
      // Nova shows a fault only on an ERROR server; this one is back as it was.
      t.like(await settledIn(id, 'ACTIVE'), { 'OS-EXT-SRV-ATTR:host': source });
      t.like((await domainHosts()).get(id), { host: source, powerState: 1 });
      const [action] = await actionsOf(id);
      t.is(action.message, 'Error');
    } finally {
      await models.Host.destroy({ where: { name: 'ghost' } });
    }
  },
);

test.serial(
  'the openstack CLI: server resize and resize confirm, migrate (2.56 host), live migration (2.30), migration list/show/abort/force complete',
  async (t) => {
    const osc = (cloud: string, ...args: string[]) => openstack(join(c.dir, 'clouds.yaml'), ['--os-cloud', cloud, ...args]);
    const ok = async (cloud: string, ...args: string[]) => {
      const r = await osc(cloud, ...args);
      t.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r;
    };
    const id = await bootActive(c, member, 'cli-mover');
    const source = await hostOf(id);
    await ok('stratus-demo', 'server', 'resize', '--flavor', 'm1.small', '--wait', id);
    const resized = await show(id);
    t.is(resized.status, 'VERIFY_RESIZE');
    t.not(resized['OS-EXT-SRV-ATTR:host'], source);
    await ok('stratus-demo', 'server', 'resize', 'confirm', id);
    t.like((await settledIn(id, 'ACTIVE')).flavor, { original_name: 'm1.small' });

    const here = await hostOf(id);
    const target = ['compute-1', 'compute-2', 'compute-3'].find((h) => h !== here)!;
    await ok('stratus', '--os-compute-api-version', '2.30', 'server', 'migrate', '--live-migration', '--host', target, '--wait', id);
    t.like(await settledIn(id, 'ACTIVE'), { 'OS-EXT-SRV-ATTR:host': target });
    t.like((await domainHosts()).get(id), { host: target, powerState: 1 });
    const third = ['compute-1', 'compute-2', 'compute-3'].find((h) => h !== target)!;
    await ok('stratus', '--os-compute-api-version', '2.56', 'server', 'migrate', '--host', third, '--wait', id);
    t.like(await show(id), { status: 'VERIFY_RESIZE', 'OS-EXT-SRV-ATTR:host': third });
    await ok('stratus', 'server', 'resize', 'confirm', id);
    await settledIn(id, 'ACTIVE');

    const listed = await ok('stratus', '--os-compute-api-version', '2.80', 'server', 'migration', 'list', '--server', id, '-f', 'json');
    const types = (listed.json as any[]).map((m) => m.Type ?? m['Migration Type']).sort();
    t.deepEqual(types, ['live-migration', 'migration', 'resize']);
    t.true(
      (listed.json as any[]).every((m) => m['Server UUID'] === id && m.UUID),
      JSON.stringify(listed.json[0]),
    );
    const live = (listed.json as any[]).find((m) => (m.Type ?? m['Migration Type']) === 'live-migration');
    t.like(live, { 'Dest Compute': target, Status: 'completed' });
    const shown = await osc('stratus', '--os-compute-api-version', '2.24', 'server', 'migration', 'show', id, String(live.Id ?? live.ID));
    t.not(shown.code, 0);
    t.regex(shown.stderr, /is not in progress/);
    const aborted = await osc('stratus', '--os-compute-api-version', '2.24', 'server', 'migration', 'abort', id, String(live.Id ?? live.ID));
    t.regex(aborted.stderr, new RegExp(`Cannot 'abort live migration' instance ${id} while it is in task_state None`));
    const forced = await osc(
      'stratus',
      '--os-compute-api-version',
      '2.22',
      'server',
      'migration',
      'force',
      'complete',
      id,
      String(live.Id ?? live.ID),
    );
    t.regex(forced.stderr, new RegExp(`Cannot 'force_complete' instance ${id} while it is in task_state None`));
  },
);
