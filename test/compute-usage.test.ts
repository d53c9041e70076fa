import test from 'ava';
import { SimulatedClock } from '../runtime/clock.js';
import { boot, settled, startComputeCloud, type ComputeCloud } from './helpers/compute.js';
import { ADMIN_PASSWORD, DEMO_PASSWORD } from './helpers/identity.js';
import { idsOf, userWithRole } from './helpers/compute-users.js';
import { eventually } from './helpers/drive.js';

// GET /limits and os-simple-tenant-usage, computed from the instance rows. The clock is simulated,
// so a server's hours of use are whole numbers of simulated hours.
const start = Date.UTC(2026, 2, 1, 8);
const clock = new SimulatedClock(start);
let c: ComputeCloud;
let demoProject: string;
let adminProject: string;
let tokens: { admin: string; demo: string; reader: string };
const HOUR = 3_600_000;

const login = async () => {
  tokens = {
    admin: (await c.keystone.login('admin', ADMIN_PASSWORD, 'admin')).token!,
    demo: (await c.keystone.login('demo', DEMO_PASSWORD, 'demo')).token!,
    reader: (await c.keystone.login('viewer', 'viewer-secret', 'demo')).token!,
  };
};

test.before(async () => {
  c = await startComputeCloud('compute-usage', { libvirt: { simulatedHosts: 1 } }, clock);
  await userWithRole(c, 'viewer', 'reader', 'demo');
  demoProject = (await idsOf(c, 'demo', 'demo')).projectId;
  adminProject = (await idsOf(c, 'admin', 'admin')).projectId;
  await login();
});
test.after.always(async () => {
  await c?.stop();
});

const call = (method: string, path: string, token: string, version = '2.1') =>
  c.nova.call(method, `/v2.1${path}`, { token, headers: { 'OpenStack-API-Version': `compute ${version}` } });
const message = (r: { body: any }) => (Object.values(r.body ?? {})[0] as { message?: string } | undefined)?.message;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 19);

test.serial("limits count the project's servers, cores and RAM; other projects' limits are for admins; keys follow the version", async (t) => {
  for (const [name, flavorRef] of [
    ['l-1', '1'],
    ['l-2', '2'],
  ])
    t.is((await boot(c.nova, tokens.demo, name, { flavorRef })).status, 202);
  await settled(c.nova, tokens.admin);
  const own = await call('GET', '/limits', tokens.demo);
  t.like(own.body.limits.absolute, {
    maxTotalInstances: -1,
    maxTotalCores: -1,
    maxTotalRAMSize: -1,
    maxTotalKeypairs: 100,
    totalInstancesUsed: 2,
    totalCoresUsed: 2,
    totalRAMUsed: 512 + 2048,
    totalServerGroupsUsed: 0,
    maxImageMeta: 128,
    maxPersonality: 5,
    maxSecurityGroups: 10,
    totalFloatingIpsUsed: 0,
  });
  t.deepEqual(own.body.limits.rate, []);
  t.like((await call('GET', '/limits', tokens.reader)).body.limits.absolute, { totalInstancesUsed: 2 });
  t.like((await call('GET', `/limits?tenant_id=${demoProject}`, tokens.admin)).body.limits.absolute, { totalInstancesUsed: 2, totalRAMUsed: 2560 });
  t.like((await call('GET', '/limits', tokens.admin)).body.limits.absolute, { totalInstancesUsed: 0 });
  const stranger = await call('GET', '/limits?tenant_id=0123456789abcdef0123456789abcdef', tokens.admin);
  t.like(stranger.body.limits.absolute, { maxTotalInstances: 10, maxTotalCores: 20, maxTotalRAMSize: 51200, totalInstancesUsed: 0 });
  t.deepEqual((await call('GET', `/limits?tenant_id=${adminProject}`, tokens.demo)).body, {
    forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:limits:other_project to be performed." },
  });
  const keys = async (version: string) => Object.keys((await call('GET', '/limits', tokens.demo, version)).body.limits.absolute);
  const k235 = await keys('2.35');
  t.true(
    ['maxSecurityGroups', 'maxSecurityGroupRules', 'maxTotalFloatingIps', 'totalFloatingIpsUsed', 'totalSecurityGroupsUsed', 'maxImageMeta'].every(
      (k) => k235.includes(k),
    ),
  );
  const k236 = await keys('2.36');
  t.false(
    k236.some((k) =>
      ['maxSecurityGroups', 'maxSecurityGroupRules', 'maxTotalFloatingIps', 'totalFloatingIpsUsed', 'totalSecurityGroupsUsed'].includes(k),
    ),
  );
  t.true(k236.includes('maxImageMeta'));
  t.false((await keys('2.39')).includes('maxImageMeta'));
  t.true((await keys('2.56')).includes('maxPersonality'));
  t.deepEqual((await keys('2.57')).sort(), [
    'maxServerGroupMembers',
    'maxServerGroups',
    'maxServerMeta',
    'maxTotalCores',
    'maxTotalInstances',
    'maxTotalKeypairs',
    'maxTotalRAMSize',
    'totalCoresUsed',
    'totalInstancesUsed',
    'totalRAMUsed',
    'totalServerGroupsUsed',
  ]);
  t.is(message(await call('GET', '/limits?colour=red', tokens.demo, '2.75')), "Additional properties are not allowed ('colour' was unexpected)");
  const one = (await call('GET', '/servers', tokens.demo)).body.servers.find((s: any) => s.name === 'l-1');
  t.is((await call('DELETE', `/servers/${one.id}`, tokens.demo)).status, 204);
  await eventually(async () => (await call('GET', '/limits', tokens.demo)).body.limits.absolute.totalInstancesUsed === 1);
  t.like((await call('GET', '/limits', tokens.demo)).body.limits.absolute, { totalCoresUsed: 1, totalRAMUsed: 2048 });
});

test.serial("usage sums each project's server hours over the period, deleted servers included, in Nova's fields", async (t) => {
  // l-2 (m1.small: 1 vCPU, 2048 MB, 20 GB) has run since `start`; l-1 (m1.tiny) ran for no time.
  await clock.advance(3 * HOUR);
  await login();
  const end = clock.now();
  const q = `?start=${iso(start - HOUR)}&end=${iso(end)}`;
  const listed = await call('GET', `/os-simple-tenant-usage${q}`, tokens.admin);
  t.is(listed.status, 200);
  t.is(listed.body.tenant_usages.length, 1);
  const usage = listed.body.tenant_usages[0];
  t.false('server_usages' in usage);
  t.like(usage, { tenant_id: demoProject, start: `${iso(start - HOUR)}.000000`, stop: `${iso(end)}.000000` });
  t.true(Math.abs(usage.total_hours - 3) < 0.01, String(usage.total_hours));
  t.true(Math.abs(usage.total_vcpus_usage - 3) < 0.01);
  t.true(Math.abs(usage.total_memory_mb_usage - 3 * 2048) < 20);
  t.true(Math.abs(usage.total_local_gb_usage - 3 * 20) < 1);

  const detailed = await call('GET', `/os-simple-tenant-usage${q}&detailed=1`, tokens.admin);
  const servers = detailed.body.tenant_usages[0].server_usages;
  t.deepEqual(servers.map((u: any) => u.name).sort(), ['l-1', 'l-2']);
  const running = servers.find((u: any) => u.name === 'l-2');
  t.deepEqual(Object.keys(running).sort(), [
    'ended_at',
    'flavor',
    'hours',
    'instance_id',
    'local_gb',
    'memory_mb',
    'name',
    'started_at',
    'state',
    'tenant_id',
    'uptime',
    'vcpus',
  ]);
  t.like(running, { flavor: 'm1.small', state: 'active', ended_at: null, memory_mb: 2048, vcpus: 1, local_gb: 20, tenant_id: demoProject });
  t.regex(running.started_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  t.true(running.uptime >= 3 * 3600 - 60 && running.uptime <= 3 * 3600, String(running.uptime));
  const deleted = servers.find((u: any) => u.name === 'l-1');
  t.is(deleted.state, 'terminated');
  t.truthy(deleted.ended_at);

  const before = await call('GET', `/os-simple-tenant-usage?start=${iso(start - 3 * HOUR)}&end=${iso(start - 2 * HOUR)}`, tokens.admin);
  t.deepEqual(before.body, { tenant_usages: [] });
  const shown = await call('GET', `/os-simple-tenant-usage/${demoProject}${q}`, tokens.reader);
  t.is(shown.status, 200);
  t.is(shown.body.tenant_usage.server_usages.length, 2, "a project's own usage is always detailed");
  t.deepEqual((await call('GET', `/os-simple-tenant-usage/${adminProject}${q}`, tokens.admin)).body, { tenant_usage: {} });
  t.deepEqual((await call('GET', `/os-simple-tenant-usage/${adminProject}`, tokens.demo)).body, {
    forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-simple-tenant-usage:show to be performed." },
  });
  t.deepEqual((await call('GET', '/os-simple-tenant-usage', tokens.demo)).body, {
    forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-simple-tenant-usage:list to be performed." },
  });
  t.deepEqual((await call('GET', '/os-simple-tenant-usage?start=yesterday', tokens.admin)).body, {
    badRequest: { code: 400, message: 'Invalid datetime string: Datetime is in invalid format' },
  });
  t.deepEqual((await call('GET', `/os-simple-tenant-usage?start=${iso(end)}&end=${iso(start)}`, tokens.admin)).body, {
    badRequest: { code: 400, message: 'Invalid start time. The start time cannot occur after the end time.' },
  });
  t.is((await call('GET', `/os-simple-tenant-usage?start=${iso(start)}.5&end=${iso(end).replace('T', ' ')}.000001`, tokens.admin)).status, 200);
});

test.serial('from 2.40 usage pages by server with limit and marker and tenant_usages_links', async (t) => {
  const q = `start=${iso(start - HOUR)}&end=${iso(clock.now())}`;
  const page = await call('GET', `/os-simple-tenant-usage?${q}&detailed=1&limit=1`, tokens.admin, '2.40');
  const first = page.body.tenant_usages[0].server_usages;
  t.is(first.length, 1);
  const next = new URL(page.body.tenant_usages_links[0].href);
  t.regex(next.pathname, /\/v2\.1\/os-simple-tenant-usage$/);
  t.is(next.searchParams.get('marker'), first[0].instance_id);
  const rest = await call('GET', `/os-simple-tenant-usage${next.search}`, tokens.admin, '2.40');
  const second = rest.body.tenant_usages[0].server_usages;
  t.is(second.length, 1);
  t.not(second[0].instance_id, first[0].instance_id);
  const shown = await call('GET', `/os-simple-tenant-usage/${demoProject}?${q}&limit=1`, tokens.demo, '2.40');
  t.regex(shown.body.tenant_usage_links[0].href, new RegExp(`/os-simple-tenant-usage/${demoProject}\\?`));
  t.is((await call('GET', `/os-simple-tenant-usage?${q}&limit=1`, tokens.admin, '2.39')).body.tenant_usages_links, undefined);
  t.deepEqual((await call('GET', `/os-simple-tenant-usage?${q}&marker=nope`, tokens.admin, '2.40')).body, {
    badRequest: { code: 400, message: 'Marker nope could not be found.' },
  });
});
