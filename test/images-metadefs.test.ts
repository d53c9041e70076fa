import test from 'ava';
import { createTestDatabase } from './helpers/database.js';
import { ADMIN_PASSWORD, DEMO_PASSWORD, client, startImageServer } from './helpers/identity.js';
import { glanceRefused } from './helpers/refusals.js';

// Glance's metadata definitions: the seeded namespaces listed and shown as Glance's API reference shows them,
// namespaces and what they hold created, changed and deleted by the admin, visibility and protection as Glance has
// them, and the metadef schemas. (Debian's CLI and SDK have no metadef commands: raw HTTP.)

async function setup(name: string) {
  const database = await createTestDatabase(name);
  const server = await startImageServer(database.url);
  const keystone = client(server.identity.url);
  const admin = (await keystone.login('admin', ADMIN_PASSWORD, 'admin')).token!;
  const demo = (await keystone.login('demo', DEMO_PASSWORD, 'demo')).token!;
  const glance = client(server.url);
  return {
    glance,
    admin,
    demo,
    done: async () => {
      await server.stop();
      await database.drop();
    },
  };
}

test("the seeded namespaces list and show as Glance's reference shows them; resource types; schemas", async (t) => {
  const { glance, demo, done } = await setup('metadefs-seed');
  try {
    const list = await glance.call('GET', '/v2/metadefs/namespaces?sort_key=namespace&sort_dir=asc', { token: demo });
    t.is(list.status, 200);
    t.is(list.body.first, '/v2/metadefs/namespaces?sort_key=namespace&sort_dir=asc');
    t.is(list.body.schema, '/v2/schemas/metadefs/namespaces');
    t.deepEqual(
      list.body.namespaces.map((n: { namespace: string }) => n.namespace),
      [
        'OS::Compute::Hypervisor',
        'OS::Compute::Libvirt',
        'OS::Compute::Quota',
        'OS::Software::DBMS',
        'OS::Software::Runtimes',
        'OS::Software::WebServers',
      ],
    );
    const libvirt = list.body.namespaces.find((n: { namespace: string }) => n.namespace === 'OS::Compute::Libvirt');
    t.deepEqual(Object.keys(libvirt).sort(), [
      'created_at',
      'description',
      'display_name',
      'namespace',
      'owner',
      'protected',
      'resource_type_associations',
      'schema',
      'self',
      'updated_at',
      'visibility',
    ]);
    t.like(libvirt, {
      display_name: 'libvirt Driver Options',
      owner: 'admin',
      protected: true,
      visibility: 'public',
      schema: '/v2/schemas/metadefs/namespace',
      self: '/v2/metadefs/namespaces/OS::Compute::Libvirt',
    });
    t.regex(libvirt.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    t.deepEqual(
      libvirt.resource_type_associations.map((a: object) => ({ ...a, created_at: undefined, updated_at: undefined })),
      [
        { name: 'OS::Glance::Image', prefix: 'hw_', created_at: undefined, updated_at: undefined },
        { name: 'OS::Nova::Flavor', prefix: 'hw:', created_at: undefined, updated_at: undefined },
      ],
    );

    const shown = (await glance.call('GET', '/v2/metadefs/namespaces/OS::Compute::Libvirt', { token: demo })).body;
    t.like(shown.properties.boot_menu, { title: 'Boot Menu', type: 'string', enum: ['true', 'false'] });
    t.like(shown.properties.serial_port_count, { type: 'integer', minimum: 0 });
    // With a resource type, the properties carry its prefix.
    const forImages = (await glance.call('GET', '/v2/metadefs/namespaces/OS::Compute::Libvirt?resource_type=OS::Glance::Image', { token: demo }))
      .body;
    t.truthy(forImages.properties.hw_boot_menu);
    const quota = (await glance.call('GET', '/v2/metadefs/namespaces/OS::Compute::Quota/objects', { token: demo })).body;
    t.deepEqual(
      quota.objects.map((o: { name: string }) => o.name),
      ['CPU Limits', 'Disk QoS', 'Virtual Interface QoS'],
    );
    t.like(quota.objects[0], {
      required: [],
      schema: '/v2/schemas/metadefs/object',
      self: '/v2/metadefs/namespaces/OS::Compute::Quota/objects/CPU Limits',
    });
    t.like(quota.objects[0].properties['quota:cpu_period'], { type: 'integer', minimum: 1000, maximum: 1000000 });
    const properties = (await glance.call('GET', '/v2/metadefs/namespaces/OS::Compute::Hypervisor/properties', { token: demo })).body;
    t.deepEqual(Object.keys(properties.properties).sort(), ['hypervisor_type', 'vm_mode']);
    t.like((await glance.call('GET', '/v2/metadefs/namespaces/OS::Compute::Hypervisor/properties/vm_mode', { token: demo })).body, {
      name: 'vm_mode',
      title: 'VM Mode',
      type: 'string',
    });
    const filtered = await glance.call('GET', '/v2/metadefs/namespaces?resource_types=OS::Nova::Flavor', { token: demo });
    t.deepEqual(filtered.body.namespaces.map((n: { namespace: string }) => n.namespace).sort(), ['OS::Compute::Libvirt', 'OS::Compute::Quota']);
    const paged = await glance.call('GET', '/v2/metadefs/namespaces?sort_key=namespace&sort_dir=asc&limit=2', { token: demo });
    t.is(paged.body.namespaces.length, 2);
    t.is(paged.body.next, '/v2/metadefs/namespaces?sort_key=namespace&sort_dir=asc&limit=2&marker=OS%3A%3ACompute%3A%3ALibvirt');
    const rest = await glance.call('GET', paged.body.next, { token: demo });
    t.is(rest.body.namespaces[0].namespace, 'OS::Compute::Quota');

    const types = (await glance.call('GET', '/v2/metadefs/resource_types', { token: demo })).body.resource_types;
    t.deepEqual(
      types.map((r: { name: string }) => r.name),
      ['OS::Cinder::Volume', 'OS::Glance::Image', 'OS::Nova::Aggregate', 'OS::Nova::Flavor', 'OS::Nova::Server'],
    );
    const assoc = (await glance.call('GET', '/v2/metadefs/namespaces/OS::Software::DBMS/resource_types', { token: demo })).body;
    t.like(assoc.resource_type_associations[0], { name: 'OS::Cinder::Volume', properties_target: 'image' });

    for (const name of [
      'namespace',
      'namespaces',
      'object',
      'objects',
      'property',
      'properties',
      'tag',
      'tags',
      'resource_type_association',
      'resource_type_associations',
    ]) {
      const schema = await glance.call('GET', `/v2/schemas/metadefs/${name}`, { token: demo });
      t.is(schema.status, 200, name);
      t.is(schema.body.name, name);
    }
    glanceRefused(t, await glance.call('GET', '/v2/schemas/metadefs/nothing', { token: demo }), 404, 'The resource could not be found.');
    glanceRefused(t, await glance.call('GET', '/v2/metadefs/namespaces'), 401, 'The request you have made requires authentication.');
    glanceRefused(
      t,
      await glance.call('GET', '/v2/metadefs/namespaces/OS::None', { token: demo }),
      404,
      'Metadata definition namespace=OS::None was not found.',
    );
  } finally {
    await done();
  }
});

test('namespaces and their objects, properties, tags and resource types: created, changed and deleted by the admin; refusals as Glance', async (t) => {
  const { glance, admin, demo, done } = await setup('metadefs-crud');
  try {
    const created = await glance.call('POST', '/v2/metadefs/namespaces', {
      token: admin,
      body: {
        namespace: 'Stratus::Example',
        display_name: 'Example',
        description: 'An example namespace',
        visibility: 'private',
        properties: { color: { title: 'Color', type: 'string', enum: ['red', 'blue'] } },
        tags: [{ name: 'first' }],
      },
    });
    t.is(created.status, 201, JSON.stringify(created.body));
    t.like(created.body, { namespace: 'Stratus::Example', visibility: 'private', protected: false, properties: { color: { title: 'Color' } } });
    glanceRefused(
      t,
      await glance.call('POST', '/v2/metadefs/namespaces', { token: admin, body: { namespace: 'Stratus::Example' } }),
      409,
      'The metadata definition namespace=Stratus::Example already exists.',
    );
    // A member may read public namespaces only, and change none.
    glanceRefused(
      t,
      await glance.call('GET', '/v2/metadefs/namespaces/Stratus::Example', { token: demo }),
      404,
      'Metadata definition namespace=Stratus::Example was not found.',
    );
    t.false(
      (await glance.call('GET', '/v2/metadefs/namespaces', { token: demo })).body.namespaces.some(
        (n: { namespace: string }) => n.namespace === 'Stratus::Example',
      ),
    );
    glanceRefused(
      t,
      await glance.call('POST', '/v2/metadefs/namespaces', { token: demo, body: { namespace: 'Mine' } }),
      403,
      'You are not authorized to complete add_metadef_namespace action.',
    );
    glanceRefused(
      t,
      await glance.call('POST', '/v2/metadefs/namespaces/OS::Compute::Libvirt/tags/mine', { token: demo }),
      403,
      'You are not authorized to complete add_metadef_tag action.',
    );
    glanceRefused(
      t,
      await glance.call('POST', '/v2/metadefs/namespaces', { token: admin, body: { namespace: 'X', created_at: 'now' } }),
      403,
      "Attribute 'created_at' is read-only.",
    );
    glanceRefused(t, await glance.call('POST', '/v2/metadefs/namespaces', { token: admin, body: { namespace: '' } }), 400, /'namespace'/);

    const base = '/v2/metadefs/namespaces/Stratus::Example';
    const obj = await glance.call('POST', `${base}/objects`, {
      token: admin,
      body: { name: 'Widget', description: 'A widget', required: ['size'], properties: { size: { title: 'Size', type: 'integer', minimum: 1 } } },
    });
    t.is(obj.status, 201);
    t.like(obj.body, { name: 'Widget', required: ['size'], self: `${base}/objects/Widget` });
    glanceRefused(
      t,
      await glance.call('POST', `${base}/objects`, { token: admin, body: { name: 'Widget' } }),
      409,
      /object with name=Widget already exists/,
    );
    glanceRefused(
      t,
      await glance.call('POST', `${base}/objects`, { token: admin, body: { name: 'Bad', properties: { x: { type: 'string' } } } }),
      400,
      /'title' is a required property/,
    );
    const renamed = await glance.call('PUT', `${base}/objects/Widget`, { token: admin, body: { name: 'Gadget', description: 'Renamed' } });
    t.like(renamed.body, { name: 'Gadget', description: 'Renamed' });
    glanceRefused(
      t,
      await glance.call('GET', `${base}/objects/Widget`, { token: admin }),
      404,
      /object with name=Widget was not found in namespace=Stratus::Example/,
    );

    const prop = await glance.call('POST', `${base}/properties`, { token: admin, body: { name: 'shape', title: 'Shape', type: 'string' } });
    t.is(prop.status, 201);
    t.deepEqual(prop.body, { name: 'shape', title: 'Shape', type: 'string' });
    t.deepEqual(Object.keys((await glance.call('GET', `${base}/properties`, { token: admin })).body.properties).sort(), ['color', 'shape']);
    t.is((await glance.call('DELETE', `${base}/properties/shape`, { token: admin })).status, 204);

    t.is((await glance.call('POST', `${base}/tags/second`, { token: admin })).status, 201);
    glanceRefused(t, await glance.call('POST', `${base}/tags/SECOND`, { token: admin }), 409, /metadata tag names are case insensitive/);
    t.deepEqual(
      (await glance.call('GET', `${base}/tags`, { token: admin })).body.tags.map((x: { name: string }) => x.name),
      ['first', 'second'],
    );
    const replaced = await glance.call('POST', `${base}/tags`, { token: admin, body: { tags: [{ name: 'only' }] } });
    t.deepEqual(replaced.body, { tags: [{ name: 'only' }] });
    await glance.call('POST', `${base}/tags`, { token: admin, body: { tags: [{ name: 'more' }] }, headers: { 'x-openstack-append': 'true' } });
    t.deepEqual(
      (await glance.call('GET', `${base}/tags`, { token: admin })).body.tags.map((x: { name: string }) => x.name),
      ['more', 'only'],
    );

    const rt = await glance.call('POST', `${base}/resource_types`, { token: admin, body: { name: 'OS::Glance::Image', prefix: 'ex_' } });
    t.is(rt.status, 201);
    t.like(rt.body, { name: 'OS::Glance::Image', prefix: 'ex_' });
    t.like((await glance.call('GET', `${base}?resource_type=OS::Glance::Image`, { token: admin })).body.properties, { ex_color: { title: 'Color' } });

    // Public: the member reads it; protected: nothing in it may be deleted.
    const updated = await glance.call('PUT', base, { token: admin, body: { namespace: 'Stratus::Example', visibility: 'public', protected: true } });
    t.like(updated.body, { visibility: 'public', protected: true, display_name: 'Example' });
    t.is((await glance.call('GET', base, { token: demo })).status, 200);
    glanceRefused(
      t,
      await glance.call('DELETE', base, { token: admin }),
      403,
      'Metadata definition namespace Stratus::Example is protected and cannot be deleted.',
    );
    glanceRefused(
      t,
      await glance.call('DELETE', `${base}/objects/Gadget`, { token: admin }),
      403,
      'Metadata definition object Gadget is protected and cannot be deleted.',
    );
    glanceRefused(
      t,
      await glance.call('DELETE', `${base}/tags/only`, { token: admin }),
      403,
      'Metadata definition tag only is protected and cannot be deleted.',
    );
    glanceRefused(
      t,
      await glance.call('DELETE', `${base}/objects`, { token: admin }),
      403,
      'Metadata definition namespace Stratus::Example is protected and cannot be deleted.',
    );
    glanceRefused(
      t,
      await glance.call('DELETE', `${base}/resource_types/OS::Glance::Image`, { token: admin }),
      403,
      'Metadata definition resource-type-association OS::Glance::Image is protected and cannot be deleted.',
    );
    glanceRefused(t, await glance.call('DELETE', base, { token: demo }), 403, 'You are not authorized to complete delete_metadef_namespace action.');
    t.is((await glance.call('GET', `${base}/objects/Gadget`, { token: admin })).status, 200);

    await glance.call('PUT', base, { token: admin, body: { namespace: 'Stratus::Example', protected: false } });
    t.is((await glance.call('DELETE', `${base}/resource_types/OS::Glance::Image`, { token: admin })).status, 204);
    t.is((await glance.call('DELETE', base, { token: admin })).status, 204);
    glanceRefused(
      t,
      await glance.call('GET', `${base}/objects/Gadget`, { token: admin }),
      404,
      'Metadata definition namespace=Stratus::Example was not found.',
    );
  } finally {
    await done();
  }
});
