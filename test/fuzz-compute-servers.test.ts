import test from 'ava';
import fc from 'fast-check';
import { TINY_IMAGE_ID } from './helpers/compute.js';
import { Microversion } from '../http/compute/microversion.js';
import { createSchema, querySchema, updateSchema } from '../http/compute/schemas/servers.js';
import { lock, reboot } from '../http/compute/schemas/server-actions.js';
import { metadataSchema, metaItemSchema, tagsSchema } from '../http/compute/schemas/server-subresources.js';
import { fuzz, type FuzzRequest } from './fuzz/harness.js';
import { requestsOf, type Route } from './fuzz/requests.js';
import { fuzzCompute, schemaVersion, versions, type FuzzCompute } from './fuzz/compute-setup.js';
import { arbitraryOf, type JsonSchema } from './fuzz/schema-arbitrary.js';

// The generated-input suite for the servers of the Compute API: every server route, its bodies and
// queries drawn from Nova's schemas at the microversion the request asks for, and hostile inputs.
// No answer may be a 5xx, and every 4xx is a Nova fault.

const TOTAL = Number(process.env.FUZZ_REQUESTS ?? 30_000);

let f: FuzzCompute;
test.before(async () => {
  f = await fuzzCompute('fuzz-servers');
});
test.after.always(async () => {
  await f?.c.stop();
});

/** The create schema with the cloud's own image and flavors among the values, so that some boots are valid ones. */
function bootable(schema: JsonSchema): JsonSchema {
  const server = schema.properties!.server;
  const props = server.properties!;
  return {
    ...schema,
    properties: {
      ...schema.properties,
      server: {
        ...server,
        properties: {
          ...props,
          imageRef: { oneOf: [{ enum: [TINY_IMAGE_ID, '', TINY_IMAGE_ID.toUpperCase()] }, props.imageRef] },
          flavorRef: { oneOf: [{ enum: ['1', 1, '2', '01', 'http://x/flavors/1'] }, props.flavorRef] },
        },
      },
    },
  };
}

function actionBody(v: Microversion): fc.Arbitrary<unknown> {
  const lockSchema = lock(v);
  return fc.oneof(
    fc
      .constantFrom(
        'os-stop',
        'os-start',
        'pause',
        'unpause',
        'suspend',
        'resume',
        'unlock',
        'lock',
        'reboot',
        'resize',
        'rebuild',
        'createImage',
        '',
        'x',
      )
      .chain((name) => fc.oneof(fc.constant(null), fc.constant({}), fc.jsonValue({ maxDepth: 2 })).map((value) => ({ [name]: value }))),
    requestsBody(reboot),
    ...(lockSchema ? [requestsBody(lockSchema)] : []),
  );
}
const requestsBody = (schema: JsonSchema) => arbitraryOf(schema);

function routesAt(text: string): Route[] {
  const [major, minor] = schemaVersion(text).split('.').map(Number);
  const v = new Microversion(major, minor);
  return [
    { method: 'GET', path: '/v2.1/servers', query: querySchema(v), weight: 4 },
    { method: 'GET', path: '/v2.1/servers/detail', query: querySchema(v), weight: 4 },
    { method: 'GET', path: '/v2.1/servers/:server', weight: 2 },
    { method: 'POST', path: '/v2.1/servers', body: bootable(createSchema(v)), weight: 6 },
    { method: 'PUT', path: '/v2.1/servers/:server', body: updateSchema(v), weight: 2 },
    { method: 'DELETE', path: '/v2.1/servers/:server', weight: 1 },
    { method: 'POST', path: '/v2.1/servers/:server/action', body: actionBody(v), weight: 4 },
    { method: 'GET', path: '/v2.1/servers/:server/metadata' },
    { method: 'POST', path: '/v2.1/servers/:server/metadata', body: metadataSchema },
    { method: 'PUT', path: '/v2.1/servers/:server/metadata', body: metadataSchema },
    { method: 'GET', path: '/v2.1/servers/:server/metadata/:key' },
    { method: 'PUT', path: '/v2.1/servers/:server/metadata/:key', body: metaItemSchema },
    { method: 'DELETE', path: '/v2.1/servers/:server/metadata/:key' },
    { method: 'GET', path: '/v2.1/servers/:server/tags' },
    { method: 'PUT', path: '/v2.1/servers/:server/tags', body: tagsSchema },
    { method: 'DELETE', path: '/v2.1/servers/:server/tags' },
    { method: 'GET', path: '/v2.1/servers/:server/tags/:tag' },
    { method: 'PUT', path: '/v2.1/servers/:server/tags/:tag' },
    { method: 'DELETE', path: '/v2.1/servers/:server/tags/:tag' },
    { method: 'GET', path: '/v2.1/servers/:server/os-instance-actions' },
    { method: 'GET', path: '/v2.1/servers/:server/os-instance-actions/:request' },
    { method: 'GET', path: '/v2.1/:project/servers/:server' },
  ];
}

test.serial('generated and hostile requests to every server route never answer 5xx, and every refusal is a Nova fault', async (t) => {
  const bases = { compute: f.c.cloud.compute!.url, identity: f.c.cloud.identity!.server.url, image: f.c.cloud.images!.url };
  const pools = { server: f.servers, key: ['a', 'b', 'k 1'], tag: ['a', 'b'], request: [], project: [f.projectId, '0'.repeat(32)] };
  const byVersion = new Map<string, fc.Arbitrary<FuzzRequest>>();
  const requests = versions.chain(({ version, headers }) => {
    const key = schemaVersion(version);
    let arbitrary = byVersion.get(key);
    if (!arbitrary) byVersion.set(key, (arbitrary = requestsOf('compute', routesAt(version), pools, f.auth)));
    return arbitrary.map((r) => ({ ...r, headers: { ...headers, ...r.headers } }));
  });
  const tally = await fuzz(bases, requests, TOTAL);
  t.log(JSON.stringify(tally));
  t.true(tally.sent >= TOTAL);
});
