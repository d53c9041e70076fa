import Router from '@koa/router';
import { Op } from 'sequelize';
import { readByPk, readRows } from '../../../models/typed.js';
import { projectId, resourceBody, subnetCidr, text, uuid, oneOf, type AttributeMap } from '../attributes.js';
import { conflict, notFound, policyRefused } from '../errors.js';
import { afterMarker, asInteger, listQuery, orderOf, linksOf, select, type ListSpec } from '../list.js';
import { writes } from '../policy.js';
import { checkQuota } from '../quotas.js';
import { checkRule, ethertypeOf, portOf, protocolOf, ruleRow, sameRule, type RuleInput } from '../security-group-rules.js';
import { findGroup, groupNotFound, isDefaultGroup } from '../security-groups.js';
import { authenticate, jsonBody, now, serialized, type NetworkServices, type NetworkState } from '../services.js';
import { ruleView } from '../views/security-group.js';
import { fieldsOf } from './networks.js';
import type { AuthContext } from '../../identity/index.js';

const readOnly = { post: false, put: false };
const ruleAttributes: AttributeMap = {
  id: readOnly,
  security_group_id: { post: true, put: false, check: uuid },
  direction: { post: true, put: false, check: oneOf(['ingress', 'egress']) },
  ethertype: { post: true, put: false, default: 'IPv4', check: ethertypeOf },
  protocol: { post: true, put: false, default: null, check: (v) => protocolOf(v) },
  port_range_min: { post: true, put: false, default: null, check: portOf },
  port_range_max: { post: true, put: false, default: null, check: portOf },
  remote_ip_prefix: { post: true, put: false, default: null, check: (v, n) => (v === null ? null : subnetCidr(v, n)) },
  // Not checked as a UUID, as Neutron: a group that is no id is not found (404).
  remote_group_id: { post: true, put: false, default: null, check: (v, n) => (v === null ? null : text(255)(v, n)) },
  description: { post: true, put: true, default: '', check: text(255) },
  project_id: { post: true, put: false, default: undefined, check: projectId },
};

const listSpec: ListSpec = {
  collection: 'security_group_rules',
  attributes: {
    id: { column: 'id', sort: true },
    security_group_id: { column: 'security_group_id', sort: true },
    direction: { column: 'direction', sort: true },
    ethertype: { column: 'ethertype', sort: true },
    protocol: { column: 'protocol', sort: true },
    port_range_min: { column: 'port_range_min', convert: asInteger, sort: true },
    port_range_max: { column: 'port_range_max', convert: asInteger, sort: true },
    remote_ip_prefix: { column: 'remote_ip_prefix', sort: true },
    remote_group_id: { column: 'remote_group_id', sort: true },
    description: { column: 'description' },
    project_id: { column: 'project_id', sort: true },
    revision_number: { column: 'revision_number', convert: asInteger },
  },
};

const ruleNotFound = (id: string) => notFound('SecurityGroupRuleNotFound', `Security group rule ${id} does not exist`);

async function findRule(s: NetworkServices, auth: AuthContext, id: string) {
  const row = await readByPk(s.models.NeutronSecurityGroupRule, id);
  if (!row) throw ruleNotFound(id);
  try {
    await findGroup(s, auth, row.security_group_id);
  } catch {
    throw ruleNotFound(id);
  }
  return row;
}

/** `/v2.0/security-group-rules`. */
export function securityGroupRuleRoutes(s: NetworkServices): Router<NetworkState> {
  const router = new Router<NetworkState>({ prefix: '/v2.0/security-group-rules' });

  const render = async (rows: Awaited<ReturnType<typeof findRule>>[]) => {
    const defaults = new Set(
      rows.length
        ? (
            await readRows(s.models.NeutronDefaultSecurityGroup, {
              where: { security_group_id: { [Op.in]: [...new Set(rows.map((r) => r.security_group_id))] } },
            })
          ).map((d) => d.security_group_id)
        : [],
    );
    return rows.map((r) => ruleView(r, defaults.has(r.security_group_id)));
  };

  router.get('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const q = await listQuery(ctx, listSpec);
    const where = [...q.where];
    if (!auth.isAdmin) where.push({ project_id: auth.projectId ?? '' });
    if (q.marker) where.push(afterMarker(q, (await findRule(s, auth, q.marker)) as unknown as Record<string, unknown>));
    let rows = await readRows(s.models.NeutronSecurityGroupRule, {
      where: { [Op.and]: where },
      order: orderOf(q),
      limit: q.limit,
    });
    if (q.pageReverse) rows = rows.reverse();
    const items = await render(rows);
    ctx.body = {
      security_group_rules: items.map((i) => select(q.fields, i)),
      ...linksOf(ctx, q, items, 'security_group_rules'),
    };
  });

  router.get('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const [item] = await render([await findRule(s, auth, ctx.params.id)]);
    ctx.body = { security_group_rule: select(fieldsOf(ctx.query.fields), item) };
  });

  router.post('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const input = resourceBody(await jsonBody(ctx), 'security_group_rule', ruleAttributes, true);
    const group = await findGroup(s, auth, input.security_group_id as string);
    if (!writes(auth, group.project_id)) throw policyRefused('rule:create_security_group_rule');
    const project = (input.project_id as string | undefined) ?? group.project_id;
    if (project !== group.project_id && !auth.isAdmin) throw policyRefused('rule:create_security_group_rule');
    const rule: RuleInput = {
      security_group_id: group.id,
      direction: input.direction as string,
      ethertype: input.ethertype as string,
      protocol: input.protocol as string | null,
      port_range_min: input.port_range_min as number | null,
      port_range_max: input.port_range_max as number | null,
      remote_ip_prefix: input.remote_ip_prefix as string | null,
      remote_group_id: input.remote_group_id as string | null,
      description: input.description as string,
    };
    checkRule(rule);
    if (rule.remote_group_id !== null) {
      try {
        await findGroup(s, auth, rule.remote_group_id);
      } catch {
        throw groupNotFound(rule.remote_group_id);
      }
    }
    const row = await serialized(s, [`project:${group.project_id}`], async (transaction) => {
      const existing = await readRows(s.models.NeutronSecurityGroupRule, { where: { security_group_id: group.id }, transaction });
      const same = existing.find((e) => sameRule(e, rule));
      if (same) throw conflict('SecurityGroupRuleExists', `Security group rule already exists. Rule id is ${same.id}.`);
      await checkQuota(s, group.project_id, 'security_group_rule', 1, transaction);
      const created = ruleRow(project, rule, now(s));
      await s.models.NeutronSecurityGroupRule.create(created, { transaction });
      return created;
    });
    ctx.status = 201;
    ctx.body = { security_group_rule: ruleView(row, await isDefaultGroup(s, group.id)) };
  });

  router.delete('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const row = await findRule(s, auth, ctx.params.id);
    const group = await findGroup(s, auth, row.security_group_id);
    if (!writes(auth, group.project_id)) throw policyRefused('rule:delete_security_group_rule');
    await s.models.NeutronSecurityGroupRule.destroy({ where: { id: row.id } });
    ctx.status = 204;
  });

  return router;
}
