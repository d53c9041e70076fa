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
