import test from 'ava';
import { clientsPass } from './helpers/database.js';
import { openstack } from './helpers/cloud-process.js';
import { eventually } from './helpers/drive.js';
import { ADMIN_PASSWORD, client, DEMO_PASSWORD } from './helpers/identity.js';
import { startTestCloud, stopTestCloud, type TestCloud } from './helpers/test-cloud.js';
import { TINY_IMAGE_ID } from '../http/images/index.js';

const inThisPass = clientsPass('postgres');
const runSerial = inThisPass ? test.serial : test.serial.skip;

// Server groups, aggregates and zones as Debian's `openstack` CLI drives them, against a whole cloud in its own
// process; the cloud packs (a negative RAM weight multiplier), which the boots through the API show.

let c: TestCloud;
test.before(async () => {
  if (!inThisPass) return;
  c = await startTestCloud('placement-osc', {
    STRATUS_LIBVIRT_SIMULATED_HOSTS: '2',
    STRATUS_SCHEDULER_RAM_WEIGHT_MULTIPLIER: '-1',
    STRATUS_ADMIN_PASSWORD: ADMIN_PASSWORD,
    STRATUS_DEMO_PASSWORD: DEMO_PASSWORD,
  });
});
test.after.always(async () => {
  if (!inThisPass) return;
  if (c) await stopTestCloud(c);
});

const osc = (cloud: string, ...args: string[]) => openstack(c.cloudsYaml, ['--os-cloud', cloud, ...args]);

/** The compute API with an admin token, for what the CLI need not show. */
const api = async () => ({
  nova: client(`http://127.0.0.1:${c.env.STRATUS_LISTEN_COMPUTE}`),
  token: (await client(`http://127.0.0.1:${c.port}`).login('admin', ADMIN_PASSWORD, 'admin')).token!,
});

/** Reads a server until it is ACTIVE (bounded). */
async function active(nova: ReturnType<typeof client>, token: string, id: string): Promise<any> {
  let server: any;
  await eventually(
    async () => {
      server = (await nova.call('GET', `/v2.1/servers/${id}`, { token })).body.server;
      return server?.status === 'ACTIVE';
    },
    60_000,
    50,
  );
  return server;
}

runSerial('server group create --policy, list, show, delete (2.1 and 2.64 with a rule)', async (t) => {
  const made = await osc('stratus-demo', 'server', 'group', 'create', '--policy', 'anti-affinity', '-f', 'json', 'web');
  t.is(made.code, 0, made.stderr);
  t.like(made.json, { name: 'web' });
  t.regex(JSON.stringify(made.json.policy ?? made.json.policies), /anti-affinity/);
  const ruled = await osc(
    'stratus-demo',
    '--os-compute-api-version',
    '2.64',
    'server',
    'group',
    'create',
    '--policy',
    'anti-affinity',
    '--rule',
    'max_server_per_host=2',
    '-f',
    'json',
    'db',
  );
  t.is(ruled.code, 0, ruled.stderr);
  t.is(ruled.json.policy, 'anti-affinity');
  t.regex(JSON.stringify(ruled.json.rules), /max_server_per_host.*2/);
  const list = await osc('stratus-demo', 'server', 'group', 'list', '-f', 'json');
  t.deepEqual(list.json.map((g: any) => g.Name).sort(), ['db', 'web']);
  const shown = await osc('stratus-demo', 'server', 'group', 'show', '-f', 'json', made.json.id);
  t.is(shown.json.id, made.json.id);
  t.is((await osc('stratus-demo', 'server', 'group', 'delete', 'web', 'db')).code, 0);
});

runSerial('aggregate create --zone, add host, set --property; availability zone list follows', async (t) => {
  const made = await osc('stratus', 'aggregate', 'create', '--zone', 'edge', '-f', 'json', 'edge-agg');
  t.is(made.code, 0, made.stderr);
  t.is(made.json.availability_zone, 'edge');
  const added = await osc('stratus', 'aggregate', 'add', 'host', '-f', 'json', 'edge-agg', 'compute-2');
  t.is(added.code, 0, added.stderr);
  t.regex(JSON.stringify(added.json.hosts), /compute-2/);
  t.is((await osc('stratus', 'aggregate', 'set', '--property', 'ssd=true', 'edge-agg')).code, 0);
  const shown = await osc('stratus', '--os-compute-api-version', '2.41', 'aggregate', 'show', '-f', 'json', 'edge-agg');
  t.regex(JSON.stringify(shown.json.properties), /ssd.*true/);
  t.truthy(shown.json.uuid);
  const again = await osc('stratus', 'aggregate', 'add', 'host', 'edge-agg', 'compute-2');
  t.not(again.code, 0);
  t.regex(again.stderr, /ConflictException: 409: .*Aggregate \d+ already has host compute-2\./);
  const zones = await osc('stratus', 'availability', 'zone', 'list', '--compute', '-f', 'json');
  t.is(zones.code, 0, zones.stderr);
  t.deepEqual(zones.json.map((z: any) => z['Zone Name']).sort(), ['edge', 'internal', 'nova']);
  // A boot into the zone (through the API: quicker than the CLI) lands on the aggregate's host.
  const { nova, token } = await api();
  const r = await nova.call('POST', '/v2.1/servers', {
    token,
    body: { server: { name: 'at-edge', imageRef: TINY_IMAGE_ID, flavorRef: '1', availability_zone: 'edge' } },
  });
  t.is(r.status, 202, JSON.stringify(r.body));
  const server = await active(nova, token, r.body.server.id);
  t.is(server['OS-EXT-SRV-ATTR:host'], 'compute-2');
  t.is(server['OS-EXT-AZ:availability_zone'], 'edge');
  t.is((await nova.call('DELETE', `/v2.1/servers/${server.id}`, { token })).status, 204);
  await eventually(async () => (await nova.call('GET', `/v2.1/servers/${server.id}`, { token })).status === 404, 60_000, 50);
  t.is((await osc('stratus', 'aggregate', 'remove', 'host', 'edge-agg', 'compute-2')).code, 0);
  t.is((await osc('stratus', 'aggregate', 'delete', 'edge-agg')).code, 0);
});

runSerial('a negative RAM weight multiplier packs: boots fill one host before the next', async (t) => {
  const { nova, token } = await api();
  const hosts: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await nova.call('POST', '/v2.1/servers', { token, body: { server: { name: `pack-${i}`, imageRef: TINY_IMAGE_ID, flavorRef: '1' } } });
    t.is(r.status, 202, JSON.stringify(r.body));
    const server = await active(nova, token, r.body.server.id);
    hosts.push(server['OS-EXT-SRV-ATTR:host']);
  }
  t.is(new Set(hosts).size, 1, hosts.join(' '));
});
