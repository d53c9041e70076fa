import test from 'ava';
import { SimulatedClock } from '../runtime/clock.js';
import { at, bootActive, domainsOf, startComputeCloud, userWithRole, type ComputeCloud } from './helpers/compute.js';
import { drive, eventually } from './helpers/drive.js';
import { novaRefused } from './helpers/refusals.js';

// Resize (confirm, revert, automatic confirmation), cold and live migration between simulated hosts through
// the Compute API, with Nova's refusals, instance actions and migration records, and their effect on the hosts.
const clock = new SimulatedClock(Date.UTC(2026, 11, 7, 3));
let c: ComputeCloud;
let member: string;
const CONFIRM_WINDOW_S = 3600;

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
const conflict = (message: string) => message;

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
