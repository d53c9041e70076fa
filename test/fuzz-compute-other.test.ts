import test from 'ava';
import fc from 'fast-check';
import { Microversion } from '../http/compute/microversion.js';
import {
  addTenantAccess,
  extraSpecsCreate,
  extraSpecUpdate,
  flavorCreate,
  flavorIndexQuery,
  flavorUpdate,
  removeTenantAccess,
} from '../http/compute/flavor-request.js';
import { keypairCreate, keypairQuery } from '../http/compute/keypair-request.js';
import { hypervisorListQuery, hypervisorShowQuery } from '../http/compute/schemas/hypervisors.js';
import { serviceListQuery, serviceUpdate253, serviceUpdateByAction } from '../http/compute/schemas/services.js';
import { createServerGroupSchema, listServerGroupsQuery } from '../http/compute/schemas/server-groups.js';
import * as aggregateSchemas from '../http/compute/schemas/aggregates.js';
import { fuzz, type FuzzRequest } from './fuzz/harness.js';
import { requestsOf, type Route } from './fuzz/requests.js';
import { fuzzCompute, schemaVersion, versions, type FuzzCompute } from './fuzz/compute-setup.js';
import type { JsonSchema } from './fuzz/schema-arbitrary.js';

// The generated-input suite for the Compute API's routes other than servers: flavors and their extra
// specs and access, key pairs, hypervisors, services, limits, usage, zones, aggregates, versions and
// unknown paths and methods. No 5xx; every 4xx a Nova fault.

const TOTAL = Number(process.env.FUZZ_REQUESTS ?? 30_000);

let f: FuzzCompute;
let pools: Record<string, string[]>;
test.before(async () => {
  f = await fuzzCompute('fuzz-compute-other');
  const admin = f.c.admin;
  const get = async (path: string) => (await f.c.nova.call('GET', path, { token: admin })).body;
  const hypervisors = (await get('/v2.1/os-hypervisors')).hypervisors.map((h: { id: unknown }) => String(h.id));
  const services = (await get('/v2.1/os-services')).services.map((s: { id: unknown }) => String(s.id));
  const actions = (await get(`/v2.1/servers/${f.servers[0]}/os-instance-actions`)).instanceActions.map((a: { request_id: string }) => a.request_id);
  pools = {
    flavor: ['1', '2', 'm1.tiny'],
    key: ['hw:cpu_policy', 'a'],
    tenant: [f.projectId],
    keypair: ['k', 'fuzz key'],
    hypervisor: [...hypervisors, 'compute-1'],
    service: [...services, 'disable', 'enable', 'force-down', 'disable-log-reason'],
    request: actions,
    project: [f.projectId],
    any: ['servers', 'flavors', 'os-quota-sets', 'images'],
    group: [
      (await f.c.nova.call('POST', '/v2.1/os-server-groups', { token: admin, body: { server_group: { name: 'fz', policies: ['affinity'] } } })).body
        .server_group.id,
      'x',
    ],
    aggregate: [
      String((await f.c.nova.call('POST', '/v2.1/os-aggregates', { token: admin, body: { aggregate: { name: 'fz' } } })).body.aggregate.id),
      '99999999999',
      'a',
    ],
  };
});
test.after.always(async () => {
  await f?.c.stop();
});

const usageQuery = (v: Microversion): JsonSchema => ({
  type: 'object',
  properties: {
    start: { type: 'array', items: { type: 'string', format: 'date-time' } },
    end: { type: 'array', items: { type: 'string', format: 'date-time' } },
    detailed: { type: 'array', items: { type: 'string', enum: ['1', '0', 'true'] } },
    ...(v.atLeast('2.40')
      ? {
          limit: { type: 'array', items: { type: ['integer', 'string'], pattern: '^[0-9]*$', minimum: 0 } },
          marker: { type: 'array', items: { type: 'string' } },
        }
      : {}),
  },
});

function routesAt(text: string): Route[] {
  const [major, minor] = schemaVersion(text).split('.').map(Number);
  const v = new Microversion(major, minor);
  const access: JsonSchema = { oneOf: [addTenantAccess, removeTenantAccess] };
  const services = v.atLeast('2.53') ? serviceUpdate253 : serviceUpdateByAction(v);
  return [
    { method: 'GET', path: '/' },
    { method: 'GET', path: '/v2.1' },
    { method: 'GET', path: '/v2.1/' },
    { method: 'GET', path: '/v2' },
    { method: 'GET', path: '/v2.1/flavors', query: flavorIndexQuery(v), weight: 2 },
    { method: 'GET', path: '/v2.1/flavors/detail', query: flavorIndexQuery(v), weight: 2 },
    { method: 'GET', path: '/v2.1/flavors/:flavor' },
    { method: 'POST', path: '/v2.1/flavors', body: flavorCreate(v), weight: 3 },
    { method: 'PUT', path: '/v2.1/flavors/:flavor', body: flavorUpdate },
    { method: 'DELETE', path: '/v2.1/flavors/:flavor' },
    { method: 'GET', path: '/v2.1/flavors/:flavor/os-flavor-access' },
    { method: 'POST', path: '/v2.1/flavors/:flavor/action', body: access, weight: 2 },
    { method: 'GET', path: '/v2.1/flavors/:flavor/os-extra_specs' },
    { method: 'POST', path: '/v2.1/flavors/:flavor/os-extra_specs', body: extraSpecsCreate, weight: 2 },
    { method: 'GET', path: '/v2.1/flavors/:flavor/os-extra_specs/:key' },
    { method: 'PUT', path: '/v2.1/flavors/:flavor/os-extra_specs/:key', body: extraSpecUpdate },
    { method: 'DELETE', path: '/v2.1/flavors/:flavor/os-extra_specs/:key' },
    { method: 'GET', path: '/v2.1/os-keypairs', query: keypairQuery(v, true) },
    { method: 'POST', path: '/v2.1/os-keypairs', body: keypairCreate(v) },
    { method: 'GET', path: '/v2.1/os-keypairs/:keypair', query: keypairQuery(v, false) },
    { method: 'DELETE', path: '/v2.1/os-keypairs/:keypair', query: keypairQuery(v, false) },
    { method: 'GET', path: '/v2.1/os-hypervisors', query: hypervisorListQuery(v) },
    { method: 'GET', path: '/v2.1/os-hypervisors/detail', query: hypervisorListQuery(v) },
    { method: 'GET', path: '/v2.1/os-hypervisors/statistics' },
    { method: 'GET', path: '/v2.1/os-hypervisors/:hypervisor', query: hypervisorShowQuery(v) },
    { method: 'GET', path: '/v2.1/os-hypervisors/:hypervisor/uptime' },
    { method: 'GET', path: '/v2.1/os-hypervisors/:hypervisor/search' },
    { method: 'GET', path: '/v2.1/os-hypervisors/:hypervisor/servers' },
    { method: 'GET', path: '/v2.1/os-services', query: serviceListQuery(v) },
    { method: 'PUT', path: '/v2.1/os-services/:service', body: services, weight: 2 },
    { method: 'DELETE', path: '/v2.1/os-services/:service' },
    { method: 'GET', path: '/v2.1/limits', query: { type: 'object', properties: { tenant_id: { type: 'array', items: { type: 'string' } } } } },
    { method: 'GET', path: '/v2.1/os-simple-tenant-usage', query: usageQuery(v), weight: 2 },
    { method: 'GET', path: '/v2.1/os-simple-tenant-usage/:tenant', query: usageQuery(v) },
    { method: 'GET', path: '/v2.1/os-availability-zone' },
    { method: 'GET', path: '/v2.1/os-availability-zone/detail' },
    { method: 'GET', path: '/v2.1/os-aggregates' },
    { method: 'POST', path: '/v2.1/os-aggregates', body: aggregateSchemas.createAggregateSchema },
    { method: 'GET', path: '/v2.1/os-aggregates/:aggregate' },
    { method: 'PUT', path: '/v2.1/os-aggregates/:aggregate', body: aggregateSchemas.updateAggregateSchema },
    {
      method: 'POST',
      path: '/v2.1/os-aggregates/:aggregate/action',
      body: { oneOf: [aggregateSchemas.addHostSchema, aggregateSchemas.removeHostSchema, aggregateSchemas.setMetadataSchema] },
      weight: 2,
    },
    { method: 'GET', path: '/v2.1/os-server-groups', query: listServerGroupsQuery(v) },
    { method: 'POST', path: '/v2.1/os-server-groups', body: createServerGroupSchema(v), weight: 2 },
    { method: 'GET', path: '/v2.1/os-server-groups/:group' },
    { method: 'DELETE', path: '/v2.1/os-server-groups/:group' },
    { method: 'GET', path: '/v2.1/servers/:server/os-instance-actions/:request' },
    { method: 'GET', path: '/v2.1/:project/:any' },
    { method: 'GET', path: '/v2.1/:any' },
    { method: 'PATCH', path: '/v2.1/flavors/:flavor' },
    { method: 'OPTIONS', path: '/v2.1/servers' },
    { method: 'TRACE', path: '/v2.1/servers' },
    { method: 'PROPFIND', path: '/v2.1/flavors' },
  ];
}

test.serial('generated and hostile requests to every other compute route never answer 5xx, and every refusal is a Nova fault', async (t) => {
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
});
