import test from 'ava';
import { HostView } from '../actors/scheduler/host-view.js';
import { schedulerBehaviour, type Selection } from '../actors/scheduler/behaviour.js';
import type { HandlerContext } from '../runtime/kind.js';
import { freeOf, serviceUp } from '../models/host.js';
import type { HostRow } from '../models/index.js';

// The scheduler's filters and weigher on rows as the hosts table holds them (pure: no database).
const NOW = Date.UTC(2026, 10, 25, 12);
const host = (name: string, over: Partial<HostRow> = {}): HostRow => ({
  name,
  availability_zone: 'nova',
  hypervisor_type: 'test',
  libvirt_uri: `test:///${name}`,
  boot_id: null,
  vcpus: 4,
  memory_mb: 8192,
  local_gb: 100,
  vcpus_used: 0,
  memory_mb_used: 0,
  local_gb_used: 0,
  running_vms: 0,
  cpu_allocation_ratio: 1,
  ram_allocation_ratio: 1,
  disk_allocation_ratio: 1,
  service_disabled: false,
  disabled_reason: null,
  forced_down: false,
  status: 'up',
  failure_reason: null,
  last_seen_at: new Date(NOW - 1_000),
  created_at: new Date(NOW),
  updated_at: new Date(NOW),
  ...over,
});
const tiny = { vcpus: 1, memory_mb: 512, disk_gb: 1, availability_zone: null, tried: [] as string[] };
const view = (rows: HostRow[]) => new HostView(() => Promise.resolve(rows), 1_000);

test('free capacity is under the allocation ratios', (t) => {
  t.deepEqual(
    freeOf(host('a', { vcpus: 4, cpu_allocation_ratio: 16, vcpus_used: 10, memory_mb: 1000, ram_allocation_ratio: 1.5, memory_mb_used: 500 })),
    { vcpus: 54, memory_mb: 1000, disk_gb: 100 },
  );
});

test('ComputeFilter: a host is up only when enabled, not forced down, not failed and heard from within service_down_time', (t) => {
  t.true(serviceUp(host('a'), NOW, 60_000));
  t.false(serviceUp(host('a', { last_seen_at: new Date(NOW - 60_001) }), NOW, 60_000));
  t.false(serviceUp(host('a', { last_seen_at: null }), NOW, 60_000));
  t.false(serviceUp(host('a', { service_disabled: true }), NOW, 60_000));
  t.false(serviceUp(host('a', { forced_down: true }), NOW, 60_000));
  t.false(serviceUp(host('a', { status: 'failed' }), NOW, 60_000));
});

test('the filters leave out down, full, tried and other-zone hosts; no host left means none', async (t) => {
  const rows = [
    host('down', { last_seen_at: new Date(NOW - 120_000), memory_mb: 99_999 }),
    host('full', { vcpus_used: 4, memory_mb: 99_999 }),
    host('tried', { memory_mb: 99_999 }),
    host('elsewhere', { availability_zone: 'az2', memory_mb: 99_999 }),
    host('ok'),
  ];
  t.is(await view(rows).pick({ ...tiny, tried: ['tried'], availability_zone: 'nova' }, NOW, 60_000), 'ok');
  t.is(await view(rows).pick({ ...tiny, tried: ['tried'] }, NOW, 60_000), 'elsewhere', 'no zone asked: every zone will do');
  t.is(await view(rows).pick({ ...tiny, availability_zone: 'az2' }, NOW, 60_000), 'elsewhere');
  t.is(await view(rows).pick({ ...tiny, vcpus: 5 }, NOW, 60_000), undefined);
});

test('a host no live node drives is left out, whatever its last report; a forced destination still gets it', async (t) => {
  const rows = [host('away', { memory_mb: 99_999 }), host('here')];
  const gone = (name: string) => name === 'away';
  const v = () => new HostView(() => Promise.resolve(rows), 1_000, gone);
  t.is(await v().pick(tiny, NOW, 60_000), 'here');
  t.is(await v().pick({ ...tiny, destination: { host: 'away', force: false } }, NOW, 60_000), undefined);
  t.is(await v().pick({ ...tiny, destination: { host: 'away', force: true } }, NOW, 60_000), 'away');
});

test('the RAM weigher spreads, counting what this scheduler placed since it last read the table', async (t) => {
  const v = view([host('a', { memory_mb: 4096 }), host('b', { memory_mb: 3072 })]);
  const picks = [];
  for (let i = 0; i < 6; i++) picks.push(await v.pick({ ...tiny, vcpus: 0 }, NOW, 60_000));
  // a has 4096 free, b 3072; each pick takes 512 and a tie goes to the first listed.
  t.deepEqual(picks, ['a', 'a', 'a', 'b', 'a', 'b']);
});

test('the picture is re-read when stale or invalidated', async (t) => {
  let reads = 0;
  const v = new HostView(() => {
    reads++;
    return Promise.resolve([host('a')]);
  }, 1_000);
  await v.pick(tiny, NOW, 60_000);
  await v.pick(tiny, NOW + 500, 60_000);
  t.is(reads, 1);
  await v.pick(tiny, NOW + 1_001, 60_000);
  t.is(reads, 2);
  v.invalidate();
  await v.pick(tiny, NOW + 1_002, 60_000);
  t.is(reads, 3);
});

test("a move's source in `tried` does not re-read the hosts table; a retry after a host refused does", async (t) => {
  let reads = 0;
  const select = schedulerBehaviour({
    loadHosts: () => {
      reads++;
      return Promise.resolve([host('a'), host('b', { memory_mb: 16_384 })]);
    },
    maxAttempts: 3,
    serviceDownMs: 60_000,
    hostViewMaxAgeMs: 60_000,
  }).select;
  const ctx = { self: { kind: 'scheduler', id: 's1' }, now: NOW } as unknown as HandlerContext;
  const ask = async (tried: string[], attempt: number) =>
    (await select(null, { instance_uuid: 'u', ...tiny, tried, attempt }, ctx)).reply as Selection;
  t.deepEqual(await ask([], 1), { host: 'b' });
  t.is(reads, 1);
  // A resize off b: b is excluded from the picture already held, which is not read again.
  t.deepEqual(await ask(['b'], 1), { host: 'a' });
  t.is(reads, 1);
  // b refused a boot and sent it back: the picture was wrong about b, so the table is read again.
  t.deepEqual(await ask(['b'], 2), { host: 'a' });
  t.is(reads, 2);
});
