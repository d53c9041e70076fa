import test from 'ava';
import fc from 'fast-check';
import { Microversion } from '../http/compute/microversion.js';
import * as misc from '../http/compute/schemas/misc.js';
import { fuzz, type FuzzRequest } from './fuzz/harness.js';
import { requestsOf, type Route } from './fuzz/requests.js';
import { fuzzCompute, schemaVersion, versions, type FuzzCompute } from './fuzz/compute-setup.js';
import type { JsonSchema } from './fuzz/schema-arbitrary.js';

// The generated-input suite for issue 18's small actions and remaining routes (compute-misc): versions and the
// legacy endpoint, extensions, os-hosts, external events, the audit log, assisted volume snapshots, the server
// password, diagnostics, the removed APIs, and the actions os-resetState, changePassword, injectNetworkInfo,
// resetNetwork, trigger_crash_dump, restore and forceDelete. No 5xx; every 4xx a Nova fault.

const TOTAL = Number(process.env.FUZZ_MISC_REQUESTS ?? 2_000);

let f: FuzzCompute;
let pools: Record<string, string[]>;
test.before(async () => {
  f = await fuzzCompute('fuzz-compute-misc');
  pools = {
    host: ['compute-1', 'nope'],
    alias: ['os-keypairs', 'NMN', 'OS-EXT-VIF-NET'],
    date: ['2026-01-01 00:00:00', '2026-02-30 00:00:00', '2026-01-01 00:00:00.5'],
    snapshot: ['s1'],
    project: [f.projectId],
    any: ['os-cloudpipe', 'os-fping', 'extensions', 'os-hosts'],
  };
});
test.after.always(async () => {
  await f?.c.stop();
});

const actionBodies: JsonSchema = {
  oneOf: [
    misc.resetState,
    misc.changePassword,
    misc.triggerCrashDump,
    ...['injectNetworkInfo', 'resetNetwork', 'restore', 'forceDelete'].map((name): JsonSchema => ({
      type: 'object',
      properties: { [name]: { type: 'null' } },
      required: [name],
      additionalProperties: false,
    })),
  ],
};

const toggle: JsonSchema = { type: 'string', enum: ['enable', 'disable', 'ENABLE'] };

function routesAt(text: string): Route[] {
  const [major, minor] = schemaVersion(text).split('.').map(Number);
  const v = new Microversion(major, minor);
  return [
    { method: 'GET', path: '/v2' },
    { method: 'GET', path: '/v2.0/' },
    { method: 'GET', path: '/v2/:any' },
    { method: 'GET', path: '/v2/:project/:any' },
    { method: 'GET', path: '/v2.1/extensions' },
    { method: 'GET', path: '/v2.1/extensions/:alias' },
    { method: 'GET', path: '/v2.1/os-hosts', query: { type: 'object', properties: { zone: { type: 'array', items: { type: 'string' } } } } },
    { method: 'GET', path: '/v2.1/os-hosts/:host' },
    { method: 'PUT', path: '/v2.1/os-hosts/:host', body: { type: 'object', properties: { status: toggle, maintenance_mode: toggle } } },
    { method: 'GET', path: '/v2.1/os-hosts/:host/reboot' },
    { method: 'POST', path: '/v2.1/os-server-external-events', body: misc.externalEvents(v), weight: 3 },
    { method: 'GET', path: '/v2.1/os-instance_usage_audit_log' },
    { method: 'GET', path: '/v2.1/os-instance_usage_audit_log/:date', weight: 2 },
    { method: 'POST', path: '/v2.1/os-assisted-volume-snapshots', body: misc.snapshotCreate, weight: 2 },
    { method: 'DELETE', path: '/v2.1/os-assisted-volume-snapshots/:snapshot', query: misc.snapshotDeleteQuery(v) },
    { method: 'GET', path: '/v2.1/servers/:server/os-server-password' },
    { method: 'DELETE', path: '/v2.1/servers/:server/os-server-password' },
    { method: 'GET', path: '/v2.1/servers/:server/diagnostics' },
    { method: 'POST', path: '/v2.1/servers/:server/action', body: actionBodies, weight: 4 },
    { method: 'GET', path: '/v2.1/:any' },
    { method: 'POST', path: '/v2.1/os-fixed-ips/:any/action' },
    { method: 'GET', path: '/v2.1/os-networks/:any' },
  ];
}

test.serial(
  'generated and hostile requests to the small actions and remaining routes never answer 5xx, and every refusal is a Nova fault',
  async (t) => {
    const bases = { compute: f.c.cloud.compute!.url, identity: f.c.cloud.identity!.server.url, image: f.c.cloud.images!.url };
    const all = { ...pools, server: f.servers };
    const byVersion = new Map<string, fc.Arbitrary<FuzzRequest>>();
    const requests = versions.chain(({ version, headers }) => {
      const key = schemaVersion(version);
      let arbitrary = byVersion.get(key);
      if (!arbitrary) byVersion.set(key, (arbitrary = requestsOf('compute', routesAt(version), all, f.auth)));
      return arbitrary.map((r) => ({ ...r, headers: { ...headers, ...r.headers } }));
    });
    const tally = await fuzz(bases, requests, TOTAL);
    t.log(JSON.stringify(tally));
    t.true(tally.sent >= TOTAL);
  },
);
