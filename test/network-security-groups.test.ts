import test from 'ava';
import { neutronRefused, startNetworkServer } from './helpers/network.js';

// Security groups and their rules, the default group on first use, and network quotas.

const rulesOf = (group: { security_group_rules: Array<Record<string, unknown>> }) =>
  group.security_group_rules
    .map(
      (r) =>
        `${String(r.direction)} ${String(r.ethertype)} ${r.remote_group_id === null ? '-' : r.remote_group_id === (group as unknown as { id: string }).id ? 'self' : 'other'}`,
    )
    .sort();

test('the default group appears once on first use with Neutron default rules; groups and rules; refusals; ports take groups', async (t) => {
  const n = await startNetworkServer('net-sg');
  try {
    // Twenty concurrent first uses make one default group.
    const lists = await Promise.all(Array.from({ length: 20 }, () => n.neutron.call('GET', '/v2.0/security-groups', { token: n.demo })));
    t.true(lists.every((l) => l.status === 200 && l.body.security_groups.length === 1));
    const def = lists[0].body.security_groups[0];
    t.like(def, { name: 'default', description: 'Default security group', stateful: true, project_id: await n.projectId('demo') });
    t.deepEqual(rulesOf(def), ['egress IPv4 -', 'egress IPv6 -', 'ingress IPv4 self', 'ingress IPv6 self']);
    t.true(def.security_group_rules.every((r: { belongs_to_default_sg: boolean }) => r.belongs_to_default_sg));

    const web = (
      await n.neutron.call('POST', '/v2.0/security-groups', { token: n.demo, body: { security_group: { name: 'web', description: 'http' } } })
    ).body.security_group;
    t.deepEqual(rulesOf(web), ['egress IPv4 -', 'egress IPv6 -']);
    const rule = await n.neutron.call('POST', '/v2.0/security-group-rules', {
      token: n.demo,
      body: {
        security_group_rule: {
          security_group_id: web.id,
          direction: 'ingress',
          protocol: 'tcp',
          port_range_min: 80,
          port_range_max: 443,
          remote_ip_prefix: '0.0.0.0/0',
        },
      },
    });
    t.is(rule.status, 201, JSON.stringify(rule.body));
    t.like(rule.body.security_group_rule, {
      ethertype: 'IPv4',
      protocol: 'tcp',
      port_range_min: 80,
      port_range_max: 443,
      remote_ip_prefix: '0.0.0.0/0',
      normalized_cidr: '0.0.0.0/0',
      belongs_to_default_sg: false,
    });
    t.is((await n.neutron.call('GET', `/v2.0/security-groups/${web.id}`, { token: n.demo })).body.security_group.security_group_rules.length, 3);
    t.deepEqual(
      (await n.neutron.call('GET', `/v2.0/security-group-rules?security_group_id=${web.id}&direction=ingress&fields=id`, { token: n.demo })).body
        .security_group_rules,
      [{ id: rule.body.security_group_rule.id }],
    );

    const addRule = (r: Record<string, unknown>) =>
      n.neutron.call('POST', '/v2.0/security-group-rules', {
        token: n.demo,
        body: { security_group_rule: { security_group_id: web.id, direction: 'ingress', ...r } },
      });
    neutronRefused(
      t,
      await addRule({ protocol: 'tcp', port_range_min: 80, port_range_max: 443, remote_ip_prefix: '0.0.0.0/0' }),
      409,
      'SecurityGroupRuleExists',
      `Security group rule already exists. Rule id is ${rule.body.security_group_rule.id}.`,
    );
    neutronRefused(
      t,
      await addRule({ port_range_min: 22, port_range_max: 22 }),
      400,
      'SecurityGroupProtocolRequiredWithPorts',
      'Invalid input for operation: Must also specify protocol if port range is given.',
    );
    neutronRefused(
      t,
      await addRule({ protocol: 'udp', port_range_min: 90, port_range_max: 80 }),
      400,
      'SecurityGroupInvalidPortRange',
      'Invalid input for operation: For TCP/UDP protocols, port_range_min must be <= port_range_max.',
    );
    neutronRefused(
      t,
      await addRule({ protocol: 'icmp', port_range_min: 300 }),
      400,
      'SecurityGroupInvalidIcmpValue',
      'Invalid input for operation: Invalid value for ICMP type (port_range_min) 300. It must be 0 to 255.',
    );
    neutronRefused(
      t,
      await addRule({ remote_ip_prefix: 'fd00::/64' }),
      400,
      'SecurityGroupRuleParameterConflict',
      'Invalid input for operation: Conflicting value ethertype IPv4 for CIDR fd00::/64.',
    );
    neutronRefused(
      t,
      await addRule({ remote_ip_prefix: '10.0.0.0/8', remote_group_id: web.id }),
      400,
      'SecurityGroupMultipleRemoteEntites',
      'Invalid input for operation: Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.',
    );
    neutronRefused(
      t,
      await addRule({ protocol: 'carrier-pigeon' }),
      400,
      'SecurityGroupRuleInvalidProtocol',
      /^Invalid input for operation: Security group rule protocol carrier-pigeon not supported\./,
    );
    neutronRefused(
      t,
      await addRule({ direction: 'sideways' }),
      400,
      'HTTPBadRequest',
      "Invalid input for direction. Reason: 'sideways' is not in ['ingress', 'egress'].",
    );
    const missing = '00000000-0000-4000-8000-000000000000';
    neutronRefused(t, await addRule({ security_group_id: missing }), 404, 'SecurityGroupNotFound', `Security group ${missing} does not exist`);

    neutronRefused(
      t,
      await n.neutron.call('POST', '/v2.0/security-groups', { token: n.demo, body: { security_group: { name: 'default' } } }),
      409,
      'SecurityGroupDefaultAlreadyExists',
      'Default security group already exists.',
    );
    neutronRefused(
      t,
      await n.neutron.call('PUT', `/v2.0/security-groups/${def.id}`, { token: n.demo, body: { security_group: { name: 'other' } } }),
      409,
      'SecurityGroupCannotUpdateDefault',
      'Updating default security group not allowed.',
    );
    neutronRefused(
      t,
      await n.neutron.call('DELETE', `/v2.0/security-groups/${def.id}`, { token: n.demo }),
      409,
      'SecurityGroupCannotRemoveDefault',
      'Insufficient rights for removing default security group.',
    );
    t.like(
      (await n.neutron.call('PUT', `/v2.0/security-groups/${web.id}`, { token: n.demo, body: { security_group: { description: 'https' } } })).body
        .security_group,
      { description: 'https', revision_number: 2 },
    );

    // Ports: the default group unless others are asked for; port security off means none.
    const net = (await n.neutron.call('POST', '/v2.0/networks', { token: n.demo, body: { network: { name: 'private' } } })).body.network;
    const plain = (await n.neutron.call('POST', '/v2.0/ports', { token: n.demo, body: { port: { network_id: net.id } } })).body.port;
    t.deepEqual(plain.security_groups, [def.id]);
    const withWeb = (
      await n.neutron.call('POST', '/v2.0/ports', { token: n.demo, body: { port: { network_id: net.id, security_groups: [web.id] } } })
    ).body.port;
    t.deepEqual(withWeb.security_groups, [web.id]);
    const open = (
      await n.neutron.call('POST', '/v2.0/ports', { token: n.demo, body: { port: { network_id: net.id, port_security_enabled: false } } })
    ).body.port;
    t.deepEqual(open.security_groups, []);
    neutronRefused(
      t,
      await n.neutron.call('POST', '/v2.0/ports', { token: n.demo, body: { port: { network_id: net.id, security_groups: [missing] } } }),
      404,
      'SecurityGroupNotFound',
      `Security group ${missing} does not exist`,
    );
    neutronRefused(
      t,
      await n.neutron.call('PUT', `/v2.0/ports/${plain.id}`, { token: n.demo, body: { port: { port_security_enabled: false } } }),
      409,
      'PortSecurityPortHasSecurityGroups',
      'Port has security group associated. Cannot disable port security or ip address until security group is removed',
    );
    t.deepEqual(
      (
        await n.neutron.call('PUT', `/v2.0/ports/${plain.id}`, {
          token: n.demo,
          body: { port: { port_security_enabled: false, security_groups: [] } },
        })
      ).body.port.security_groups,
      [],
    );
    neutronRefused(
      t,
      await n.neutron.call('DELETE', `/v2.0/security-groups/${web.id}`, { token: n.demo }),
      409,
      'SecurityGroupInUse',
      `Security Group ${web.id} in use.`,
    );

    // Another project: its own default group only; demo's groups and rules invisible.
    const other = await n.user('dave', 'member', 'other');
    const theirs = (await n.neutron.call('GET', '/v2.0/security-groups', { token: other.token })).body.security_groups;
    t.is(theirs.length, 1);
    t.not(theirs[0].id, def.id);
    neutronRefused(
      t,
      await n.neutron.call('GET', `/v2.0/security-groups/${web.id}`, { token: other.token }),
      404,
      'SecurityGroupNotFound',
      `Security group ${web.id} does not exist`,
    );
    neutronRefused(
      t,
      await n.neutron.call('GET', `/v2.0/security-group-rules/${rule.body.security_group_rule.id}`, { token: other.token }),
      404,
      'SecurityGroupRuleNotFound',
      `Security group rule ${rule.body.security_group_rule.id} does not exist`,
    );
    t.false(
      (await n.neutron.call('GET', '/v2.0/security-group-rules', { token: other.token })).body.security_group_rules.some(
        (r: { security_group_id: string }) => r.security_group_id === web.id,
      ),
    );
    const reader = await n.user('ron', 'reader', 'demo');
    neutronRefused(
      t,
      await n.neutron.call('POST', '/v2.0/security-groups', { token: reader.token, body: { security_group: { name: 'r' } } }),
      403,
      'PolicyNotAuthorized',
      'rule:create_security_group is disallowed by policy',
    );
    neutronRefused(
      t,
      await n.neutron.call('DELETE', `/v2.0/security-group-rules/${rule.body.security_group_rule.id}`, { token: reader.token }),
      403,
      'PolicyNotAuthorized',
      'rule:delete_security_group_rule is disallowed by policy',
    );

    t.is((await n.neutron.call('DELETE', `/v2.0/security-group-rules/${rule.body.security_group_rule.id}`, { token: n.demo })).status, 204);
    t.is((await n.neutron.call('DELETE', `/v2.0/ports/${withWeb.id}`, { token: n.demo })).status, 204);
    t.is((await n.neutron.call('DELETE', `/v2.0/security-groups/${web.id}`, { token: n.demo })).status, 204);
  } finally {
    await n.done();
  }
});

test('quotas: defaults, usage, admin updates, OverQuota on create; a project reads only its own', async (t) => {
  const n = await startNetworkServer('net-quotas');
  try {
    const demo = await n.projectId('demo');
    const shown = await n.neutron.call('GET', `/v2.0/quotas/${demo}`, { token: n.demo });
    t.deepEqual(shown.body.quota, {
      network: 100,
      subnet: 100,
      port: 500,
      router: 10,
      floatingip: 50,
      security_group: 10,
      security_group_rule: 100,
      rbac_policy: 10,
      subnetpool: -1,
    });
    const admin = await n.projectId('admin');
    neutronRefused(
      t,
      await n.neutron.call('GET', `/v2.0/quotas/${admin}`, { token: n.demo }),
      403,
      'PolicyNotAuthorized',
      'rule:get_quota is disallowed by policy',
    );
    neutronRefused(
      t,
      await n.neutron.call('PUT', `/v2.0/quotas/${demo}`, { token: n.demo, body: { quota: { network: 1 } } }),
      403,
      'PolicyNotAuthorized',
      'rule:update_quota is disallowed by policy',
    );
    neutronRefused(
      t,
      await n.neutron.call('GET', '/v2.0/quotas', { token: n.demo }),
      403,
      'PolicyNotAuthorized',
      'rule:get_quota is disallowed by policy',
    );
    const set = await n.neutron.call('PUT', `/v2.0/quotas/${demo}`, { token: n.admin, body: { quota: { network: 2, port: 1 } } });
    t.like(set.body.quota, { network: 2, port: 1, subnet: 100 });
    neutronRefused(
      t,
      await n.neutron.call('PUT', `/v2.0/quotas/${demo}`, { token: n.admin, body: { quota: { network: -2 } } }),
      400,
      'HTTPBadRequest',
      "Invalid input for network. Reason: '-2' is too small - must be at least '-1'.",
    );
    neutronRefused(
      t,
      await n.neutron.call('PUT', `/v2.0/quotas/${demo}`, { token: n.admin, body: { quota: { widgets: 2 } } }),
      400,
      'HTTPBadRequest',
      "Unrecognized attribute(s) 'widgets'",
    );

    const nets = await Promise.all(
      Array.from({ length: 4 }, (_, i) => n.neutron.call('POST', '/v2.0/networks', { token: n.demo, body: { network: { name: `n${i}` } } })),
    );
    t.is(nets.filter((r) => r.status === 201).length, 2);
    for (const r of nets.filter((x) => x.status !== 201)) neutronRefused(t, r, 409, 'OverQuota', "Quota exceeded for resources: ['network'].");
    const netId = nets.find((r) => r.status === 201)!.body.network.id;
    t.is((await n.neutron.call('POST', '/v2.0/ports', { token: n.demo, body: { port: { network_id: netId } } })).status, 201);
    neutronRefused(
      t,
      await n.neutron.call('POST', '/v2.0/ports', { token: n.demo, body: { port: { network_id: netId } } }),
      409,
      'OverQuota',
      "Quota exceeded for resources: ['port'].",
    );
    // Concurrent creates decided in one batch: exactly the room left is taken.
    await n.neutron.call('PUT', `/v2.0/quotas/${demo}`, { token: n.admin, body: { quota: { port: 4 } } });
    const burst = await Promise.all(
      Array.from({ length: 10 }, () => n.neutron.call('POST', '/v2.0/ports', { token: n.demo, body: { port: { network_id: netId } } })),
    );
    t.is(burst.filter((r) => r.status === 201).length, 3);
    for (const r of burst.filter((x) => x.status !== 201)) neutronRefused(t, r, 409, 'OverQuota', "Quota exceeded for resources: ['port'].");
    await n.neutron.call('PUT', `/v2.0/quotas/${demo}`, { token: n.admin, body: { quota: { port: 1 } } });
    const details = await n.neutron.call('GET', `/v2.0/quotas/${demo}/details`, { token: n.demo });
    t.deepEqual(details.body.quota.network, { limit: 2, used: 2, reserved: 0 });
    t.deepEqual(details.body.quota.port, { limit: 1, used: 4, reserved: 0 });
    t.deepEqual(
      (await n.neutron.call('GET', '/v2.0/quotas', { token: n.admin })).body.quotas.map((q: { project_id: string; network: number }) => [
        q.project_id,
        q.network,
      ]),
      [[demo, 2]],
    );
    t.is((await n.neutron.call('DELETE', `/v2.0/quotas/${demo}`, { token: n.admin })).status, 204);
    t.is((await n.neutron.call('GET', `/v2.0/quotas/${demo}`, { token: n.demo })).body.quota.network, 100);
    t.is((await n.neutron.call('GET', `/v2.0/quotas/${demo}/default`, { token: n.demo })).body.quota.port, 500);
  } finally {
    await n.done();
  }
});
