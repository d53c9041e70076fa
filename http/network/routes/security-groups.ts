import Router from '@koa/router';
import { Op } from 'sequelize';
import type { NeutronSecurityGroupRow } from '../../../models/index.js';
import { readRows } from '../../../models/typed.js';
import type { AuthContext } from '../../identity/index.js';
import { boolean, projectId, resourceBody, text, type AttributeMap } from '../attributes.js';
import { conflict, policyRefused } from '../errors.js';
import { afterMarker, asBoolean, asInteger, listQuery, orderOf, linksOf, select, type ListSpec } from '../list.js';
import { mayCreate, ownProject, writes } from '../policy.js';
import { checkQuota } from '../quotas.js';
import { createGroup, ensureDefaultGroup, findGroup, isDefaultGroup } from '../security-groups.js';
import { authenticate, json, jsonBody, now, serialized, type NetworkServices, type NetworkState } from '../services.js';
import { groupView } from '../views/security-group.js';
import { fieldsOf } from './networks.js';

const readOnly = { post: false, put: false };
const groupAttributes: AttributeMap = {
  id: readOnly,
  security_group_rules: readOnly,
  name: { post: true, put: true, default: '', check: text(255) },
  description: { post: true, put: true, default: '', check: text(255) },
  project_id: { post: true, put: false, default: undefined, check: projectId },
  stateful: { post: true, put: true, default: true, check: boolean },
};

const listSpec: ListSpec = {
  collection: 'security_groups',
  attributes: {
    id: { column: 'id', sort: true },
    name: { column: 'name', sort: true },
    description: { column: 'description', sort: true },
    project_id: { column: 'project_id', sort: true },
    stateful: { column: 'stateful', convert: asBoolean, sort: true },
    revision_number: { column: 'revision_number', convert: asInteger },
  },
};

/** Groups with their rules, and whether each is its project's default. */
export async function renderGroups(s: NetworkServices, rows: readonly NeutronSecurityGroupRow[]) {
  const ids = rows.map((r) => r.id);
  const rules = ids.length
    ? await readRows(s.models.NeutronSecurityGroupRule, {
        where: { security_group_id: { [Op.in]: ids } },
        order: [
          ['created_at', 'ASC'],
          ['id', 'ASC'],
        ],
      })
    : [];
  const defaults = new Set(
    ids.length
      ? (await readRows(s.models.NeutronDefaultSecurityGroup, { where: { security_group_id: { [Op.in]: ids } } })).map((d) => d.security_group_id)
      : [],
  );
  return rows.map((r) =>
    groupView(
      r,
      rules.filter((x) => x.security_group_id === r.id),
      defaults.has(r.id),
    ),
  );
}

async function writableGroup(s: NetworkServices, auth: AuthContext, id: string, action: string) {
  const row = await findGroup(s, auth, id);
  if (!writes(auth, row.project_id)) throw policyRefused(`rule:${action}`);
  return row;
}

/** `/v2.0/security-groups`: a project's `default` group appears on its first use. */
export function securityGroupRoutes(s: NetworkServices): Router<NetworkState> {
  const router = new Router<NetworkState>({ prefix: '/v2.0/security-groups' });

  router.get('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const q = await listQuery(ctx, listSpec);
    if (auth.projectId) {
      const project = auth.projectId;
      await serialized(s, [`project:${project}`], (transaction) => ensureDefaultGroup(s, project, now(s), transaction));
    }
    const where = [...q.where];
    if (!auth.isAdmin) where.push({ project_id: auth.projectId ?? '' });
    if (q.marker) where.push(afterMarker(q, (await findGroup(s, auth, q.marker)) as unknown as Record<string, unknown>));
    let rows = await readRows(s.models.NeutronSecurityGroup, {
      where: { [Op.and]: where },
      order: orderOf(q),
      limit: q.limit,
    });
    if (q.pageReverse) rows = rows.reverse();
    const items = await renderGroups(s, rows);
    ctx.body = { security_groups: items.map((i) => select(q.fields, i)), ...linksOf(ctx, q, items, 'security_groups') };
  });

  router.get('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const [item] = await renderGroups(s, [await findGroup(s, auth, ctx.params.id)]);
    ctx.body = { security_group: select(fieldsOf(ctx.query.fields), item) };
  });

  router.post('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const input = resourceBody(await jsonBody(ctx), 'security_group', groupAttributes, true);
    const project = (input.project_id as string | undefined) ?? ownProject(auth, 'create_security_group');
    mayCreate(auth, 'create_security_group', project);
    if (input.name === 'default') throw conflict('SecurityGroupDefaultAlreadyExists', 'Default security group already exists.');
    const at = now(s);
    const group = await serialized(s, [`project:${project}`], async (transaction) => {
      await ensureDefaultGroup(s, project, at, transaction);
      await checkQuota(s, project, 'security_group', 1, transaction);
      await checkQuota(s, project, 'security_group_rule', 2, transaction);
      return createGroup(
        s,
        project,
        { name: input.name as string, description: input.description as string, stateful: input.stateful as boolean },
        false,
        at,
        transaction,
      );
    });
    ctx.status = 201;
    ctx.body = { security_group: (await renderGroups(s, [group]))[0] };
  });

  router.put('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const row = await writableGroup(s, auth, ctx.params.id, 'update_security_group');
    const input = resourceBody(await jsonBody(ctx), 'security_group', groupAttributes, false);
    if ((await isDefaultGroup(s, row.id)) && 'name' in input && input.name !== 'default') {
      throw conflict('SecurityGroupCannotUpdateDefault', 'Updating default security group not allowed.');
    }
    if (input.name === 'default' && row.name !== 'default')
      throw conflict('SecurityGroupDefaultAlreadyExists', 'Default security group already exists.');
    const next: NeutronSecurityGroupRow = {
      ...row,
      name: 'name' in input ? (input.name as string) : row.name,
      description: 'description' in input ? (input.description as string) : row.description,
      stateful: 'stateful' in input ? (input.stateful as boolean) : row.stateful,
      revision_number: Number(row.revision_number) + 1,
      updated_at: now(s),
    };
    await s.models.NeutronSecurityGroup.update(next, { where: { id: row.id } });
    ctx.body = { security_group: (await renderGroups(s, [next]))[0] };
  });

  router.delete('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const row = await writableGroup(s, auth, ctx.params.id, 'delete_security_group');
    await serialized(s, [`project:${row.project_id}`], async (transaction) => {
      const m = s.models;
      if ((await isDefaultGroup(s, row.id, transaction)) && !auth.isAdmin) {
        throw conflict('SecurityGroupCannotRemoveDefault', 'Insufficient rights for removing default security group.');
      }
      // Ports keep their groups as JSON text: a LIKE on the id finds those that name it.
      const users = await readRows(m.NeutronPort, {
        attributes: ['security_groups'],
        where: { security_groups: { [Op.like]: `%${row.id}%` } },
        transaction,
      });
      if (users.some((p) => json<string[]>(p.security_groups).includes(row.id)))
        throw conflict('SecurityGroupInUse', `Security Group ${row.id} in use.`);
      await m.NeutronSecurityGroupRule.destroy({ where: { security_group_id: row.id }, transaction });
      await m.NeutronDefaultSecurityGroup.destroy({ where: { security_group_id: row.id }, transaction });
      await m.NeutronSecurityGroup.destroy({ where: { id: row.id }, transaction });
    });
    ctx.status = 204;
  });

  return router;
}
