import test from 'ava';
import { keystoneRefused } from './helpers/refusals.js';
import { neutronRefused, startNetworkServer } from './helpers/network.js';

// The Networking API over raw HTTP: networks, subnets, versions, extensions, lists, policy and refusals.

test('versions, extensions and tokens', async (t) => {
  const n = await startNetworkServer('net-versions');
  try {
    const root = await n.neutron.call('GET', '/');
    t.is(root.status, 200);
    t.deepEqual(root.body, { versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${n.url}/v2.0/` }] }] });
    const v2 = await n.neutron.call('GET', '/v2.0', { token: n.demo });
    t.true(v2.body.resources.some((r: { collection: string }) => r.collection === 'networks'));
    const ext = await n.neutron.call('GET', '/v2.0/extensions', { token: n.demo });
    t.true(ext.body.extensions.some((e: { alias: string }) => e.alias === 'external-net'));
    t.like((await n.neutron.call('GET', '/v2.0/extensions/net-mtu', { token: n.demo })).body.extension, { alias: 'net-mtu', name: 'Network MTU' });
    neutronRefused(
      t,
      await n.neutron.call('GET', '/v2.0/extensions/nope', { token: n.demo }),
      404,
      'HTTPNotFound',
      'Extension with alias nope does not exist',
    );
    keystoneRefused(t, await n.neutron.call('GET', '/v2.0/networks'), 401, 'The request you have made requires authentication.');
    keystoneRefused(t, await n.neutron.call('GET', '/v2.0/networks', { token: 'bogus' }), 401, 'The request you have made requires authentication.');
    neutronRefused(t, await n.neutron.call('GET', '/v2.0/nothing', { token: n.demo }), 404, 'HTTPNotFound', 'The resource could not be found.');
    // An application credential's access rules are checked as keystonemiddleware checks them.
    const me = (await n.keystone.call('GET', '/v3/auth/tokens', { token: n.demo, headers: { 'x-subject-token': n.demo } })).body.token.user.id;
    const made = await n.keystone.call('POST', `/v3/users/${me}/application_credentials`, {
      token: n.demo,
      body: { application_credential: { name: 'lister', access_rules: [{ service: 'network', method: 'GET', path: '/v2.0/networks' }] } },
    });
    t.is(made.status, 201, JSON.stringify(made.body));
    const login = await n.keystone.call('POST', '/v3/auth/tokens', {
      body: {
        auth: {
          identity: {
            methods: ['application_credential'],
            application_credential: { id: made.body.application_credential.id, secret: made.body.application_credential.secret },
          },
        },
      },
    });
    const limited = login.headers.get('x-subject-token')!;
    t.is((await n.neutron.call('GET', '/v2.0/networks', { token: limited })).status, 200);
    keystoneRefused(t, await n.neutron.call('GET', '/v2.0/ports', { token: limited }), 401, 'The request you have made requires authentication.');
  } finally {
    await n.done();
  }
});

test('networks: create, show, list with filters, fields, sorting and pages, update, delete; policy', async (t) => {
  const n = await startNetworkServer('net-networks');
  try {
    const created = await n.neutron.call('POST', '/v2.0/networks', { token: n.demo, body: { network: { name: 'private', description: 'mine' } } });
    t.is(created.status, 201);
    const net = created.body.network;
    const demoProject = await n.projectId('demo');
    t.like(net, {
      name: 'private',
      description: 'mine',
      admin_state_up: true,
      status: 'ACTIVE',
      subnets: [],
      shared: false,
      'router:external': false,
      mtu: 1500,
      port_security_enabled: true,
      project_id: demoProject,
      tenant_id: demoProject,
      revision_number: 1,
    });
    t.regex(net.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    t.deepEqual((await n.neutron.call('GET', `/v2.0/networks/${net.id}`, { token: n.demo })).body.network, net);
    t.deepEqual((await n.neutron.call('GET', `/v2.0/networks/${net.id}?fields=id&fields=name`, { token: n.demo })).body.network, {
      id: net.id,
      name: 'private',
    });

    for (const name of ['b', 'c', 'a']) await n.neutron.call('POST', '/v2.0/networks', { token: n.demo, body: { network: { name } } });
    const sorted = await n.neutron.call('GET', '/v2.0/networks?sort_key=name&sort_dir=asc&fields=name', { token: n.demo });
    t.deepEqual(sorted.body.networks, [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'private' }]);
    const page1 = await n.neutron.call('GET', '/v2.0/networks?sort_key=name&sort_dir=asc&limit=2', { token: n.demo });
    t.deepEqual(
      page1.body.networks.map((x: { name: string }) => x.name),
      ['a', 'b'],
    );
    const next = page1.body.networks_links.find((l: { rel: string }) => l.rel === 'next').href as string;
    t.true(next.startsWith(`${n.url}/v2.0/networks?`));
    const page2 = await n.neutron.call('GET', next.slice(n.url.length), { token: n.demo });
    t.deepEqual(
      page2.body.networks.map((x: { name: string }) => x.name),
      ['c', 'private'],
    );
    const prev = page2.body.networks_links.find((l: { rel: string }) => l.rel === 'previous').href as string;
    t.deepEqual(
      (await n.neutron.call('GET', prev.slice(n.url.length), { token: n.demo })).body.networks.map((x: { name: string }) => x.name),
      ['a', 'b'],
    );
    t.deepEqual(
      (await n.neutron.call('GET', '/v2.0/networks?name=a&name=c&fields=name&sort_key=name&sort_dir=desc', { token: n.demo })).body.networks,
      [{ name: 'c' }, { name: 'a' }],
    );
    neutronRefused(
      t,
      await n.neutron.call('GET', '/v2.0/networks?colour=red', { token: n.demo }),
      400,
      'HTTPBadRequest',
      "['colour'] is invalid attribute for filtering",
    );
    neutronRefused(
      t,
      await n.neutron.call('GET', '/v2.0/networks?sort_key=name', { token: n.demo }),
      400,
      'HTTPBadRequest',
      'The number of sort_keys and sort_dirs must be same',
    );
    neutronRefused(
      t,
      await n.neutron.call('GET', '/v2.0/networks?sort_key=colour&sort_dir=asc', { token: n.demo }),
      400,
      'HTTPBadRequest',
      "['colour'] is invalid attribute for sort_keys",
    );
    neutronRefused(
      t,
      await n.neutron.call('GET', '/v2.0/networks?limit=x', { token: n.demo }),
      400,
      'BadRequest',
      "Bad limit request: Limit must be an integer 0 or greater and not 'x'.",
    );
    neutronRefused(
      t,
      await n.neutron.call('GET', '/v2.0/networks?shared=maybe', { token: n.demo }),
      400,
      'HTTPBadRequest',
      "Invalid input for operation: 'maybe' cannot be converted to boolean.",
    );

    const updated = await n.neutron.call('PUT', `/v2.0/networks/${net.id}`, { token: n.demo, body: { network: { name: 'renamed', mtu: 1450 } } });
    t.like(updated.body.network, { name: 'renamed', mtu: 1450, revision_number: 2 });

    // Refusals, each in Neutron's body.
    neutronRefused(
      t,
      await n.neutron.call('POST', '/v2.0/networks', { token: n.demo, body: { network: { name: 'x', shared: true } } }),
      403,
      'PolicyNotAuthorized',
      '(rule:create_network and rule:create_network:shared) is disallowed by policy',
    );
    neutronRefused(
      t,
      await n.neutron.call('POST', '/v2.0/networks', { token: n.demo, body: { network: { 'router:external': true } } }),
      403,
      'PolicyNotAuthorized',
      '(rule:create_network and rule:create_network:router:external) is disallowed by policy',
    );
    neutronRefused(
      t,
      await n.neutron.call('POST', '/v2.0/networks', { token: n.demo, body: { network: { colour: 'red' } } }),
      400,
      'HTTPBadRequest',
      "Unrecognized attribute(s) 'colour'",
    );
    neutronRefused(
      t,
      await n.neutron.call('POST', '/v2.0/networks', { token: n.demo, body: { net: {} } }),
      400,
      'HTTPBadRequest',
      "Unable to find 'network' in request body",
    );
    neutronRefused(
      t,
      await n.neutron.call('POST', '/v2.0/networks', { token: n.demo, body: { network: { admin_state_up: 'perhaps' } } }),
      400,
      'HTTPBadRequest',
      "Invalid input for admin_state_up. Reason: 'perhaps' cannot be converted to boolean.",
    );
    neutronRefused(
      t,
      await n.neutron.call('POST', '/v2.0/networks', { token: n.demo, body: { network: { name: 'x'.repeat(256) } } }),
      400,
      'HTTPBadRequest',
      `Invalid input for name. Reason: '${'x'.repeat(256)}' exceeds maximum length of 255.`,
    );
    neutronRefused(
      t,
      await n.neutron.call('PUT', `/v2.0/networks/${net.id}`, { token: n.demo, body: { network: { id: 'x' } } }),
      400,
      'HTTPBadRequest',
      'Cannot update read-only attribute id',
    );
    const missing = '00000000-0000-4000-8000-000000000000';
    neutronRefused(
      t,
      await n.neutron.call('GET', `/v2.0/networks/${missing}`, { token: n.demo }),
      404,
      'NetworkNotFound',
      `Network ${missing} could not be found.`,
    );

    // Another project sees none of demo's networks, nor may change them; a reader sees but may not write.
    const other = await n.user('alice', 'member', 'other');
    t.deepEqual((await n.neutron.call('GET', '/v2.0/networks', { token: other.token })).body.networks, []);
    neutronRefused(
      t,
      await n.neutron.call('GET', `/v2.0/networks/${net.id}`, { token: other.token }),
      404,
      'NetworkNotFound',
      `Network ${net.id} could not be found.`,
    );
    neutronRefused(
      t,
      await n.neutron.call('DELETE', `/v2.0/networks/${net.id}`, { token: other.token }),
      404,
      'NetworkNotFound',
      `Network ${net.id} could not be found.`,
    );
    const reader = await n.user('rita', 'reader', 'demo');
    t.is((await n.neutron.call('GET', `/v2.0/networks/${net.id}`, { token: reader.token })).status, 200);
    neutronRefused(
      t,
      await n.neutron.call('POST', '/v2.0/networks', { token: reader.token, body: { network: { name: 'r' } } }),
      403,
      'PolicyNotAuthorized',
      'rule:create_network is disallowed by policy',
    );
    neutronRefused(
      t,
      await n.neutron.call('PUT', `/v2.0/networks/${net.id}`, { token: reader.token, body: { network: { name: 'r' } } }),
      403,
      'PolicyNotAuthorized',
      'rule:update_network is disallowed by policy',
    );
    neutronRefused(
      t,
      await n.neutron.call('DELETE', `/v2.0/networks/${net.id}`, { token: reader.token }),
      403,
      'PolicyNotAuthorized',
      'rule:delete_network is disallowed by policy',
    );
    neutronRefused(
      t,
      await n.neutron.call('POST', '/v2.0/networks', { token: n.demo, body: { network: { project_id: other.projectId } } }),
      403,
      'PolicyNotAuthorized',
      'rule:create_network is disallowed by policy',
    );

    // Shared and external networks (admin-made) are seen by every project.
    const shared = (await n.neutron.call('POST', '/v2.0/networks', { token: n.admin, body: { network: { name: 'shared', shared: true } } })).body
      .network;
    const external = (
      await n.neutron.call('POST', '/v2.0/networks', { token: n.admin, body: { network: { name: 'public', 'router:external': true } } })
    ).body.network;
    t.deepEqual((await n.neutron.call('GET', '/v2.0/networks?fields=name&sort_key=name&sort_dir=asc', { token: other.token })).body.networks, [
      { name: 'public' },
      { name: 'shared' },
    ]);
    t.deepEqual((await n.neutron.call('GET', '/v2.0/networks?router:external=true&fields=id', { token: other.token })).body.networks, [
      { id: external.id },
    ]);
    neutronRefused(
      t,
      await n.neutron.call('PUT', `/v2.0/networks/${shared.id}`, { token: other.token, body: { network: { name: 'mine' } } }),
      403,
      'PolicyNotAuthorized',
      'rule:update_network is disallowed by policy',
    );
    t.is((await n.neutron.call('GET', '/v2.0/networks', { token: n.admin })).body.networks.length, 6);

    t.is((await n.neutron.call('DELETE', `/v2.0/networks/${net.id}`, { token: n.demo })).status, 204);
    t.is((await n.neutron.call('GET', `/v2.0/networks/${net.id}`, { token: n.demo })).status, 404);
  } finally {
    await n.done();
  }
});

test('subnets: IPv4 and IPv6, pools, gateway, DNS, routes; overlaps refused within a network, allowed across projects', async (t) => {
  const n = await startNetworkServer('net-subnets');
  try {
    const net = (await n.neutron.call('POST', '/v2.0/networks', { token: n.demo, body: { network: { name: 'private' } } })).body.network;
    const v4 = await n.neutron.call('POST', '/v2.0/subnets', {
      token: n.demo,
      body: {
        subnet: {
          network_id: net.id,
          ip_version: 4,
          cidr: '10.0.0.0/24',
          dns_nameservers: ['8.8.8.8'],
          host_routes: [{ destination: '192.168.0.0/16', nexthop: '10.0.0.254' }],
        },
      },
    });
    t.is(v4.status, 201, JSON.stringify(v4.body));
    t.like(v4.body.subnet, {
      network_id: net.id,
      ip_version: 4,
      cidr: '10.0.0.0/24',
      gateway_ip: '10.0.0.1',
      allocation_pools: [{ start: '10.0.0.2', end: '10.0.0.254' }],
      enable_dhcp: true,
      dns_nameservers: ['8.8.8.8'],
      host_routes: [{ destination: '192.168.0.0/16', nexthop: '10.0.0.254' }],
      ipv6_ra_mode: null,
      subnetpool_id: null,
    });
    const v6 = await n.neutron.call('POST', '/v2.0/subnets', {
      token: n.demo,
      body: {
        subnet: { network_id: net.id, ip_version: 6, cidr: 'FD00:0:0:1::/64', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac', enable_dhcp: true },
      },
    });
    t.is(v6.status, 201, JSON.stringify(v6.body));
    t.like(v6.body.subnet, {
      cidr: 'fd00:0:0:1::/64',
      gateway_ip: 'fd00:0:0:1::1',
      allocation_pools: [{ start: 'fd00:0:0:1::2', end: 'fd00::1:ffff:ffff:ffff:ffff' }],
    });
    const pooled = await n.neutron.call('POST', '/v2.0/subnets', {
      token: n.demo,
      body: {
        subnet: {
          network_id: net.id,
          ip_version: 4,
          cidr: '10.1.0.0/24',
          gateway_ip: null,
          enable_dhcp: false,
          allocation_pools: [{ start: '10.1.0.10', end: '10.1.0.20' }],
        },
      },
    });
    t.like(pooled.body.subnet, { gateway_ip: null, enable_dhcp: false, allocation_pools: [{ start: '10.1.0.10', end: '10.1.0.20' }] });
    t.deepEqual((await n.neutron.call('GET', `/v2.0/networks/${net.id}`, { token: n.demo })).body.network.subnets, [
      v4.body.subnet.id,
      v6.body.subnet.id,
      pooled.body.subnet.id,
    ]);
    t.deepEqual((await n.neutron.call('GET', `/v2.0/subnets?ip_version=6&fields=cidr`, { token: n.demo })).body.subnets, [
      { cidr: 'fd00:0:0:1::/64' },
    ]);

    const sub = (body: Record<string, unknown>) =>
      n.neutron.call('POST', '/v2.0/subnets', { token: n.demo, body: { subnet: { network_id: net.id, ip_version: 4, ...body } } });
    neutronRefused(
      t,
      await sub({ cidr: '10.0.0.128/25' }),
      400,
      'InvalidInput',
      `Invalid input for operation: Requested subnet with cidr: 10.0.0.128/25 for network: ${net.id} overlaps with another subnet.`,
    );
    neutronRefused(
      t,
      await sub({ cidr: '10.9.0.7/24' }),
      400,
      'HTTPBadRequest',
      "Invalid input for cidr. Reason: '10.9.0.7/24' isn't a recognized IP subnet cidr, '10.9.0.0/24' is recommended.",
    );
    neutronRefused(
      t,
      await sub({ cidr: '10.9.0.0/33' }),
      400,
      'HTTPBadRequest',
      "Invalid input for cidr. Reason: '10.9.0.0/33' is not a valid IP subnet.",
    );
    neutronRefused(
      t,
      await sub({ cidr: 'fd01::/64' }),
      400,
      'InvalidInput',
      "Invalid input for operation: cidr 'fd01::/64' does not match the ip_version '4'.",
    );
    neutronRefused(t, await sub({}), 400, 'BadRequest', 'Bad subnet request: a subnetpool must be specified in the absence of a cidr.');
    neutronRefused(
      t,
      await sub({ cidr: '10.9.0.0/24', allocation_pools: [{ start: '10.9.0.2', end: '10.9.1.5' }] }),
      400,
      'OutOfBoundsAllocationPool',
      'The allocation pool 10.9.0.2-10.9.1.5 spans beyond the subnet cidr 10.9.0.0/24.',
    );
    neutronRefused(
      t,
      await sub({
        cidr: '10.9.0.0/24',
        allocation_pools: [
          { start: '10.9.0.2', end: '10.9.0.9' },
          { start: '10.9.0.5', end: '10.9.0.20' },
        ],
      }),
      409,
      'OverlappingAllocationPools',
      'Found overlapping allocation pools: 10.9.0.2-10.9.0.9 10.9.0.5-10.9.0.20 for subnet 10.9.0.0/24.',
    );
    neutronRefused(
      t,
      await sub({ cidr: '10.9.0.0/24', gateway_ip: '10.9.0.5', allocation_pools: [{ start: '10.9.0.2', end: '10.9.0.9' }] }),
      409,
      'GatewayConflictWithAllocationPools',
      'Gateway ip 10.9.0.5 conflicts with allocation pool 10.9.0.2-10.9.0.9.',
    );
    neutronRefused(
      t,
      await sub({ cidr: '10.9.0.0/24', dns_nameservers: ['1.1.1.1', '1.1.1.1'] }),
      400,
      'HTTPBadRequest',
      "Invalid input for dns_nameservers. Reason: Duplicate nameserver '1.1.1.1'.",
    );
    neutronRefused(
      t,
      await sub({ cidr: '10.9.0.0/24', ipv6_ra_mode: 'slaac' }),
      400,
      'InvalidInput',
      'Invalid input for operation: ipv6_ra_mode is not valid when ip_version is 4.',
    );
    neutronRefused(
      t,
      await sub({ cidr: '10.9.0.0/24', network_id: undefined }),
      400,
      'HTTPBadRequest',
      "Failed to parse request. Required attribute 'network_id' not specified",
    );

    // Another project's 10.0.0.0/24 on its own network is fine; demo's network is invisible to it.
    const other = await n.user('bob', 'member', 'other');
    const theirs = (await n.neutron.call('POST', '/v2.0/networks', { token: other.token, body: { network: { name: 'theirs' } } })).body.network;
    const same = await n.neutron.call('POST', '/v2.0/subnets', {
      token: other.token,
      body: { subnet: { network_id: theirs.id, ip_version: 4, cidr: '10.0.0.0/24' } },
    });
    t.is(same.status, 201);
    t.deepEqual((await n.neutron.call('GET', '/v2.0/subnets?fields=id', { token: other.token })).body.subnets, [{ id: same.body.subnet.id }]);
    neutronRefused(
      t,
      await n.neutron.call('POST', '/v2.0/subnets', {
        token: other.token,
        body: { subnet: { network_id: net.id, ip_version: 4, cidr: '10.5.0.0/24' } },
      }),
      404,
      'NetworkNotFound',
      `Network ${net.id} could not be found.`,
    );
    neutronRefused(
      t,
      await n.neutron.call('GET', `/v2.0/subnets/${v4.body.subnet.id}`, { token: other.token }),
      404,
      'SubnetNotFound',
      `Subnet ${v4.body.subnet.id} could not be found.`,
    );

    // Subnets of a shared network are seen by all; only its owner adds subnets.
    const shared = (await n.neutron.call('POST', '/v2.0/networks', { token: n.admin, body: { network: { name: 'shared', shared: true } } })).body
      .network;
    const sharedSubnet = (
      await n.neutron.call('POST', '/v2.0/subnets', {
        token: n.admin,
        body: { subnet: { network_id: shared.id, ip_version: 4, cidr: '172.16.0.0/24' } },
      })
    ).body.subnet;
    t.is((await n.neutron.call('GET', `/v2.0/subnets/${sharedSubnet.id}`, { token: other.token })).status, 200);
    neutronRefused(
      t,
      await n.neutron.call('POST', '/v2.0/subnets', {
        token: other.token,
        body: { subnet: { network_id: shared.id, ip_version: 4, cidr: '172.17.0.0/24' } },
      }),
      403,
      'PolicyNotAuthorized',
      'rule:create_subnet is disallowed by policy',
    );

    const updated = await n.neutron.call('PUT', `/v2.0/subnets/${v4.body.subnet.id}`, {
      token: n.demo,
      body: { subnet: { name: 'v4', dns_nameservers: [], allocation_pools: [{ start: '10.0.0.100', end: '10.0.0.200' }] } },
    });
    t.like(updated.body.subnet, {
      name: 'v4',
      dns_nameservers: [],
      allocation_pools: [{ start: '10.0.0.100', end: '10.0.0.200' }],
      revision_number: 2,
    });
    neutronRefused(
      t,
      await n.neutron.call('PUT', `/v2.0/subnets/${v4.body.subnet.id}`, { token: n.demo, body: { subnet: { cidr: '10.0.0.0/16' } } }),
      400,
      'HTTPBadRequest',
      'Cannot update read-only attribute cidr',
    );
    t.is((await n.neutron.call('DELETE', `/v2.0/subnets/${pooled.body.subnet.id}`, { token: n.demo })).status, 204);
    t.is((await n.neutron.call('DELETE', `/v2.0/networks/${net.id}`, { token: n.demo })).status, 204);
    t.is((await n.neutron.call('GET', `/v2.0/subnets/${v4.body.subnet.id}`, { token: n.demo })).status, 404);
  } finally {
    await n.done();
  }
});

test('hostile input: bounded bodies, NUL, malformed JSON, parser refusals and unknown methods in Neutron error bodies', async (t) => {
  const n = await startNetworkServer('net-hostile');
  try {
    const raw = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
      const r = await fetch(`${n.url}${path}`, { method, headers: { 'x-auth-token': n.demo, 'content-type': 'application/json', ...headers }, body });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : undefined };
    };
    neutronRefused(t, await raw('POST', '/v2.0/networks', '{"network": '), 400, 'HTTPBadRequest', 'Malformed request body');
    neutronRefused(
      t,
      await raw('POST', '/v2.0/networks', `${'['.repeat(100)}${']'.repeat(100)}`),
      400,
      'HTTPBadRequest',
      'request body is nested deeper than 64 levels',
    );
    neutronRefused(
      t,
      await raw('POST', '/v2.0/networks', '{"network": {"name": "a\\u0000b"}}'),
      400,
      'HTTPBadRequest',
      'request body holds a NUL character',
    );
    neutronRefused(t, await raw('POST', '/v2.0/networks', '[]'), 400, 'HTTPBadRequest', 'Body contains invalid data');
    // Bulk creates are served (Tempest's bulk tests); an empty or oversized batch is refused.
    neutronRefused(t, await raw('POST', '/v2.0/networks', '{"networks": []}'), 400, 'HTTPBadRequest', "Object 'networks' contains invalid data");
    const oversized = JSON.stringify({ networks: Array.from({ length: 1_001 }, () => ({})) });
    neutronRefused(t, await raw('POST', '/v2.0/networks', oversized), 400, 'HTTPBadRequest', 'A bulk request creates at most 1000 networks');
    neutronRefused(t, await raw('POST', '/v2.0/networks', ''), 400, 'HTTPBadRequest', 'Resource body required');
    neutronRefused(t, await raw('GET', '/v2.0/networks/a%00b'), 404, 'HTTPNotFound', 'The resource could not be found.');
    neutronRefused(t, await raw('GET', '/v2.0/networks?name=a%00b'), 400, 'HTTPBadRequest', /NUL/);
    neutronRefused(
      t,
      await raw('GET', `/v2.0/networks?${Array.from({ length: 1001 }, (_, i) => `id=${i}`).join('&')}`),
      400,
      'HTTPBadRequest',
      'Too many values for filter id: at most 1000',
    );
    const propfind = await raw('PROPFIND', '/v2.0/networks');
    t.is(propfind.status, 405);
    t.is(propfind.body?.NeutronError?.type, 'HTTPMethodNotAllowed');
    const patch = await raw('PATCH', '/v2.0/networks');
    t.is(patch.status, 405);
    t.is(patch.body?.NeutronError?.type, 'HTTPMethodNotAllowed');
    // A marker naming nothing, and ports with a huge limit, are answered, not failed.
    const missing = '00000000-0000-4000-8000-000000000000';
    neutronRefused(t, await raw('GET', `/v2.0/networks?limit=1&marker=${missing}`), 404, 'NetworkNotFound', `Network ${missing} could not be found.`);
    t.is((await raw('GET', '/v2.0/ports?limit=99999999999999999999')).status, 200);
    neutronRefused(
      t,
      await raw('GET', '/v2.0/ports?fixed_ips=mac%3Dx'),
      400,
      'HTTPBadRequest',
      "Invalid input for operation: Invalid filter for fixed_ips: 'mac=x'.",
    );
  } finally {
    await n.done();
  }
});
