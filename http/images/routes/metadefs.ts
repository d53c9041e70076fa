import Router from '@koa/router';
import { Op, type WhereOptions } from 'sequelize';
import type { MetadefEntryRow, MetadefNamespaceRow } from '../../../models/index.js';
import { readRow, readRows } from '../../../models/typed.js';
import { dbBool } from '../../db-values.js';
import { GlanceError } from '../errors.js';
import { LIMIT_DEFAULT, LIMIT_MAX } from '../image-list.js';
import {
  associationView,
  associationsOf,
  authorizeMetadef,
  entriesOf,
  findNamespace,
  nameOf,
  namespaceDetail,
  namespaceView,
  objectBody,
  objectView,
  propertySchema,
  propertyView,
  tagView,
  type Kind,
} from '../metadefs/namespaces.js';
import { authenticate, jsonBody, type ImageServices, type ImageState } from '../services.js';
import { iso } from '../views.js';

const READ_ONLY = ['created_at', 'updated_at', 'self', 'schema'];
const PROTECTED: Record<Kind, string> = { object: 'object', property: 'property', tag: 'tag', association: 'resource-type-association' };
const NOT_FOUND: Record<Kind, (name: string, ns: string) => string> = {
  object: (n, ns) => `The metadata definition object with name=${n} was not found in namespace=${ns}.`,
  property: (n, ns) => `The metadata definition property with name=${n} was not found in namespace=${ns}.`,
  tag: (n, ns) => `The metadata definition tag with name=${n} was not found in namespace=${ns}.`,
  association: (n, ns) => `The metadata definition resource-type association of resource-type=${n} to namespace=${ns}, was not found.`,
};
const DUPLICATE: Record<Kind, (name: string, ns: string) => string> = {
  object: (n, ns) => `A metadata definition object with name=${n} already exists in namespace=${ns}.`,
  property: (n, ns) => `A metadata definition property with name=${n} already exists in namespace=${ns}.`,
  tag: (n, ns) => `A metadata tag with name=${n} already exists in namespace=${ns}. (Please note that metadata tag names are case insensitive).`,
  association: (n, ns) => `The metadata definition resource-type association of resource-type=${n} to namespace=${ns} already exists.`,
};

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v.at(-1) : v);
const objectIn = async (ctx: { request: unknown }) => {
  const body = await jsonBody(ctx as never);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new GlanceError(400, 'Body expected in request.');
  for (const key of READ_ONLY) if (key in body) throw new GlanceError(403, `Attribute '${key}' is read-only.`);
  return body as Record<string, unknown>;
};

/** Glance's metadata definitions API: namespaces with their objects, properties, tags and resource types. */
export function metadefRoutes(s: ImageServices): Router<ImageState> {
  const router = new Router<ImageState>({ prefix: '/v2/metadefs' });
  const { models } = s.repo;
  const now = () => new Date(s.clock.now());

  const namespaceFields = (input: Record<string, unknown>, current?: MetadefNamespaceRow) => {
    const visibility = input.visibility ?? current?.visibility ?? 'private';
    if (visibility !== 'public' && visibility !== 'private')
      throw new GlanceError(400, `Invalid value for 'visibility': ${JSON.stringify(visibility)}`);
    const isProtected = input.protected ?? (current ? dbBool(current.protected) : false);
    if (typeof isProtected !== 'boolean') throw new GlanceError(400, "Invalid value for 'protected': expected a boolean");
    for (const key of ['display_name', 'description', 'owner'] as const)
      if (input[key] !== undefined && input[key] !== null && typeof input[key] !== 'string')
        throw new GlanceError(400, `Invalid value for '${key}': expected a string`);
    if (typeof input.display_name === 'string' && input.display_name.length > 80)
      throw new GlanceError(400, "Invalid value for 'display_name': at most 80 characters");
    return {
      namespace: nameOf(input.namespace, 'namespace', 80),
      display_name: (input.display_name as string | undefined) ?? current?.display_name ?? null,
      description: (input.description as string | undefined) ?? current?.description ?? null,
      visibility: visibility as string,
      protected: isProtected,
    };
  };

  // Namespaces.
  router.get('/namespaces', async (ctx) => {
    const auth = await authenticate(s, ctx);
    authorizeMetadef(auth, 'get_metadef_namespaces');
    const q = ctx.query;
    const where: WhereOptions[] = [];
    if (!auth.isAdmin) where.push({ [Op.or]: [{ visibility: 'public' }, { owner: auth.projectId ?? '' }] });
    const visibility = one(q.visibility);
    if (visibility) {
      if (visibility !== 'public' && visibility !== 'private') throw new GlanceError(400, `Invalid visibility value: ${visibility}`);
      where.push({ visibility });
    }
    const types = one(q.resource_types);
    if (types) {
      const names = types.split(',').slice(0, 100);
      const tagged = await readRows(models.MetadefEntry, { where: { kind: 'association', name: { [Op.in]: names } }, attributes: ['namespace'] });
      where.push({ namespace: { [Op.in]: [...new Set(tagged.map((t) => t.namespace))] } });
    }
    const sortKey = one(q.sort_key) ?? 'created_at';
    if (!['created_at', 'updated_at', 'namespace', 'display_name'].includes(sortKey)) throw new GlanceError(400, `Invalid sort key: ${sortKey}`);
    const sortDir = one(q.sort_dir) ?? 'desc';
    if (sortDir !== 'asc' && sortDir !== 'desc') throw new GlanceError(400, `Invalid sort direction: ${sortDir}`);
    let limit = LIMIT_DEFAULT;
    const rawLimit = one(q.limit);
    if (rawLimit !== undefined) {
      if (!/^\d+$/.test(rawLimit)) throw new GlanceError(400, 'limit param must be an integer');
      limit = Math.min(Number(rawLimit), LIMIT_MAX);
    }
    const marker = one(q.marker);
    const dir = sortDir === 'asc' ? Op.gt : Op.lt;
    if (marker) {
      const at = await findNamespace(models, auth, marker);
      const value = (at as unknown as Record<string, unknown>)[sortKey];
      where.push({ [Op.or]: [{ [sortKey]: { [dir]: value } }, { [sortKey]: value, namespace: { [dir]: at.namespace } }] });
    }
    const rows = await readRows(models.MetadefNamespace, {
      where: { [Op.and]: where },
      order: [
        [sortKey, sortDir.toUpperCase()],
        ['namespace', sortDir.toUpperCase()],
      ],
      limit,
    });
    const associations = await associationsOf(
      models,
      rows.map((r) => r.namespace),
    );
    const params = new URLSearchParams(ctx.querystring);
    params.delete('marker');
    const query = params.toString();
    const body: Record<string, unknown> = {
      namespaces: rows.map((r) =>
        namespaceView(
          r,
          associations.filter((a) => a.namespace === r.namespace),
        ),
      ),
      first: `/v2/metadefs/namespaces${query ? `?${query}` : ''}`,
      schema: '/v2/schemas/metadefs/namespaces',
    };
    if (rows.length && rows.length === limit) {
      params.set('marker', rows[rows.length - 1].namespace);
      body.next = `/v2/metadefs/namespaces?${params.toString()}`;
    }
    ctx.body = body;
  });

  router.post('/namespaces', async (ctx) => {
    const auth = await authenticate(s, ctx);
    authorizeMetadef(auth, 'add_metadef_namespace');
    const input = await objectIn(ctx);
    const fields = namespaceFields(input);
    const owner = typeof input.owner === 'string' ? input.owner : (auth.projectId ?? '');
    const at = now();
    const row: MetadefNamespaceRow = { ...fields, owner, created_at: at, updated_at: at };
    // What a namespace may be created with: its associations, properties, objects and tags.
    const entries: Array<Pick<MetadefEntryRow, 'kind' | 'name' | 'body'>> = [];
    const list = (key: string) => {
      const v = input[key] ?? [];
      if (!Array.isArray(v)) throw new GlanceError(400, `Invalid value for '${key}': expected a list`);
      return v as unknown[];
    };
    for (const a of list('resource_type_associations')) {
      const { name, prefix, properties_target } = (a ?? {}) as Record<string, unknown>;
      entries.push({ kind: 'association', name: nameOf(name, 'name', 80), body: JSON.stringify({ prefix, properties_target }) });
    }
    const props = input.properties ?? {};
    if (typeof props !== 'object' || Array.isArray(props)) throw new GlanceError(400, "Invalid value for 'properties': expected an object");
    for (const [name, schema] of Object.entries(props))
      entries.push({ kind: 'property', name: nameOf(name, 'property name', 255), body: JSON.stringify(propertySchema(schema)) });
    for (const o of list('objects')) {
      const { name, body } = objectBody(o);
      entries.push({ kind: 'object', name, body: JSON.stringify(body) });
    }
    for (const t of list('tags')) entries.push({ kind: 'tag', name: nameOf((t as { name?: unknown } | null)?.name, 'name', 255), body: '{}' });
    await models.MetadefNamespace.sequelize!.transaction(async (transaction) => {
      if (await models.MetadefNamespace.findByPk(row.namespace, { transaction }))
        throw new GlanceError(409, `The metadata definition namespace=${row.namespace} already exists.`);
      await models.MetadefNamespace.create(row, { transaction });
      for (const e of entries) {
        if (e.kind === 'association') await ensureResourceType(e.name, transaction);
        await models.MetadefEntry.upsert({ ...e, namespace: row.namespace, created_at: at, updated_at: at }, { transaction });
      }
    });
    ctx.status = 201;
    ctx.set('Location', `${s.publicUrl()}/v2/metadefs/namespaces/${row.namespace}`);
    ctx.body = await namespaceDetail(models, row);
  });

  const ensureResourceType = async (name: string, transaction?: import('sequelize').Transaction) => {
    if (!(await models.MetadefResourceType.findByPk(name, { transaction })))
      await models.MetadefResourceType.create({ name, protected: false, created_at: now(), updated_at: now() }, { transaction });
  };

  router.get('/namespaces/:ns', async (ctx) => {
    const auth = await authenticate(s, ctx);
    authorizeMetadef(auth, 'get_metadef_namespace');
    const ns = await findNamespace(models, auth, ctx.params.ns);
    ctx.body = await namespaceDetail(models, ns, one(ctx.query.resource_type));
  });

  router.put('/namespaces/:ns', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const current = await findNamespace(models, auth, ctx.params.ns);
    authorizeMetadef(auth, 'modify_metadef_namespace');
    const input = await objectIn(ctx);
    const fields = namespaceFields(input, current);
    const owner = typeof input.owner === 'string' ? input.owner : current.owner;
    const updated = { ...current, ...fields, owner, updated_at: now() };
    await models.MetadefNamespace.sequelize!.transaction(async (transaction) => {
      if (fields.namespace !== current.namespace) {
        if (await models.MetadefNamespace.findByPk(fields.namespace, { transaction }))
          throw new GlanceError(409, `The metadata definition namespace=${fields.namespace} already exists.`);
        await models.MetadefNamespace.create(updated, { transaction });
        await models.MetadefEntry.update({ namespace: fields.namespace }, { where: { namespace: current.namespace }, transaction });
        await models.MetadefNamespace.destroy({ where: { namespace: current.namespace }, transaction });
      } else await models.MetadefNamespace.update(updated, { where: { namespace: current.namespace }, transaction });
    });
    ctx.body = namespaceView(updated, await entriesOf(models, updated.namespace, 'association'));
  });

  const refuseProtected = (ns: MetadefNamespaceRow) => {
    if (dbBool(ns.protected)) throw new GlanceError(403, `Metadata definition namespace ${ns.namespace} is protected and cannot be deleted.`);
  };

  router.delete('/namespaces/:ns', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const ns = await findNamespace(models, auth, ctx.params.ns);
    authorizeMetadef(auth, 'delete_metadef_namespace');
    refuseProtected(ns);
    await models.MetadefNamespace.sequelize!.transaction(async (transaction) => {
      await models.MetadefEntry.destroy({ where: { namespace: ns.namespace }, transaction });
      await models.MetadefNamespace.destroy({ where: { namespace: ns.namespace }, transaction });
    });
    ctx.status = 204;
  });

  // What a namespace holds: objects, properties and tags (resource type associations below).
  const collections: Array<[string, Kind, string]> = [
    ['objects', 'object', 'metadef_object'],
    ['properties', 'property', 'metadef_property'],
    ['tags', 'tag', 'metadef_tag'],
  ];
  for (const [path, kind, action] of collections) {
    const verb = (what: 'get' | 'add' | 'modify' | 'delete') =>
      kind === 'property' && what === 'delete' ? 'remove_metadef_property' : `${what}_${action}`;
    const findEntry = async (ns: string, name: string) => {
      // Tag names are compared without case, as Glance's are.
      const where = kind === 'tag' ? { namespace: ns, kind } : { namespace: ns, kind, name };
      const rows = await readRows(models.MetadefEntry, { where });
      const found = kind === 'tag' ? rows.find((r) => r.name.toLowerCase() === name.toLowerCase()) : rows[0];
      if (!found) throw new GlanceError(404, NOT_FOUND[kind](name, ns));
      return found;
    };
    const view = (e: MetadefEntryRow) => (kind === 'object' ? objectView(e) : kind === 'tag' ? tagView(e) : propertyView(e));
    const parse = (input: unknown, name?: string): { name: string; body: string } => {
      if (kind === 'object') {
        const o = objectBody(input);
        return { name: o.name, body: JSON.stringify(o.body) };
      }
      if (kind === 'property') {
        const schema = propertySchema(input);
        return { name: nameOf((input as { name?: unknown }).name, 'name', 255), body: JSON.stringify(schema) };
      }
      return { name: nameOf(name ?? (input as { name?: unknown }).name, 'name', 255), body: '{}' };
    };
    const insert = async (ns: string, e: { name: string; body: string }) => {
      const existing = await readRows(models.MetadefEntry, { where: { namespace: ns, kind } });
      if (existing.some((x) => (kind === 'tag' ? x.name.toLowerCase() === e.name.toLowerCase() : x.name === e.name)))
        throw new GlanceError(409, DUPLICATE[kind](e.name, ns));
      const row: MetadefEntryRow = { namespace: ns, kind, ...e, created_at: now(), updated_at: now() };
      await models.MetadefEntry.create(row);
      return row;
    };

    router.get(`/namespaces/:ns/${path}`, async (ctx) => {
      const auth = await authenticate(s, ctx);
      authorizeMetadef(auth, `get_${action}s`.replace('propertys', 'properties'));
      const ns = await findNamespace(models, auth, ctx.params.ns);
      const rows = await entriesOf(models, ns.namespace, kind);
      if (kind === 'property')
        ctx.body = { properties: Object.fromEntries(rows.map((r) => [r.name, JSON.parse(r.body)])), schema: '/v2/schemas/metadefs/properties' };
      else if (kind === 'object') ctx.body = { objects: rows.map(view), schema: '/v2/schemas/metadefs/objects' };
      else ctx.body = { tags: rows.map(view) };
    });

    router.post(`/namespaces/:ns/${path}`, async (ctx) => {
      const auth = await authenticate(s, ctx);
      const ns = await findNamespace(models, auth, ctx.params.ns);
      authorizeMetadef(auth, kind === 'tag' ? 'add_metadef_tags' : verb('add'));
      const input = await objectIn(ctx);
      if (kind === 'tag') {
        // Tags come as a list; they replace the namespace's unless appended (X-Openstack-Append).
        if (!Array.isArray(input.tags)) throw new GlanceError(400, "Invalid value for 'tags': expected a list");
        const names = input.tags.map((t) => nameOf((t as { name?: unknown } | null)?.name, 'name', 255));
        const lower = names.map((n) => n.toLowerCase());
        const dup = names.find((_, i) => lower.indexOf(lower[i]) !== i);
        if (dup) throw new GlanceError(409, DUPLICATE.tag(dup, ns.namespace));
        const append = ctx.get('x-openstack-append').toLowerCase() === 'true';
        if (!append) await models.MetadefEntry.destroy({ where: { namespace: ns.namespace, kind } });
        const rows: MetadefEntryRow[] = [];
        for (const name of names) rows.push(await insert(ns.namespace, { name, body: '{}' }));
        ctx.status = 201;
        ctx.body = { tags: rows.map((r) => ({ name: r.name })) };
        return;
      }
      const row = await insert(ns.namespace, parse(input));
      ctx.status = 201;
      ctx.body = view(row);
    });

    router.delete(`/namespaces/:ns/${path}`, async (ctx) => {
      const auth = await authenticate(s, ctx);
      const ns = await findNamespace(models, auth, ctx.params.ns);
      authorizeMetadef(auth, 'delete_metadef_namespace');
      refuseProtected(ns);
      await models.MetadefEntry.destroy({ where: { namespace: ns.namespace, kind } });
      ctx.status = 204;
    });

    router.get(`/namespaces/:ns/${path}/:name`, async (ctx) => {
      const auth = await authenticate(s, ctx);
      authorizeMetadef(auth, verb('get'));
      const ns = await findNamespace(models, auth, ctx.params.ns);
      ctx.body = view(await findEntry(ns.namespace, ctx.params.name));
    });

    if (kind === 'tag') {
      router.post(`/namespaces/:ns/tags/:name`, async (ctx) => {
        const auth = await authenticate(s, ctx);
        const ns = await findNamespace(models, auth, ctx.params.ns);
        authorizeMetadef(auth, 'add_metadef_tag');
        ctx.status = 201;
        ctx.body = tagView(await insert(ns.namespace, parse({}, ctx.params.name)));
      });
    }

    router.put(`/namespaces/:ns/${path}/:name`, async (ctx) => {
      const auth = await authenticate(s, ctx);
      const ns = await findNamespace(models, auth, ctx.params.ns);
      authorizeMetadef(auth, verb('modify'));
      const current = await findEntry(ns.namespace, ctx.params.name);
      const next = parse(await objectIn(ctx));
      if (next.name !== current.name) {
        const clash = await readRow(models.MetadefEntry, { where: { namespace: ns.namespace, kind, name: next.name } });
        if (clash) throw new GlanceError(409, DUPLICATE[kind](next.name, ns.namespace));
      }
      const row: MetadefEntryRow = { ...current, ...next, updated_at: now() };
      await models.MetadefEntry.sequelize!.transaction(async (transaction) => {
        await models.MetadefEntry.destroy({ where: { namespace: ns.namespace, kind, name: current.name }, transaction });
        await models.MetadefEntry.create(row, { transaction });
      });
      ctx.body = view(row);
    });

    router.delete(`/namespaces/:ns/${path}/:name`, async (ctx) => {
      const auth = await authenticate(s, ctx);
      const ns = await findNamespace(models, auth, ctx.params.ns);
      authorizeMetadef(auth, verb('delete'));
      const entry = await findEntry(ns.namespace, ctx.params.name);
      if (dbBool(ns.protected))
        throw new GlanceError(403, `Metadata definition ${PROTECTED[kind]} ${entry.name} is protected and cannot be deleted.`);
      await models.MetadefEntry.destroy({ where: { namespace: ns.namespace, kind, name: entry.name } });
      ctx.status = 204;
    });
  }

  // Resource types and a namespace's associations with them.
  router.get('/resource_types', async (ctx) => {
    const auth = await authenticate(s, ctx);
    authorizeMetadef(auth, 'list_metadef_resource_types');
    const rows = await readRows(models.MetadefResourceType, { order: [['name', 'ASC']], limit: LIMIT_MAX });
    ctx.body = { resource_types: rows.map((r) => ({ name: r.name, created_at: iso(r.created_at), updated_at: iso(r.updated_at) })) };
  });

  router.get('/namespaces/:ns/resource_types', async (ctx) => {
    const auth = await authenticate(s, ctx);
    authorizeMetadef(auth, 'get_metadef_resource_type');
    const ns = await findNamespace(models, auth, ctx.params.ns);
    ctx.body = { resource_type_associations: (await entriesOf(models, ns.namespace, 'association')).map(associationView) };
  });

  router.post('/namespaces/:ns/resource_types', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const ns = await findNamespace(models, auth, ctx.params.ns);
    authorizeMetadef(auth, 'add_metadef_resource_type_association');
    const input = await objectIn(ctx);
    const name = nameOf(input.name, 'name', 80);
    for (const key of ['prefix', 'properties_target'] as const)
      if (input[key] !== undefined && input[key] !== null && (typeof input[key] !== 'string' || input[key].length > 80))
        throw new GlanceError(400, `Invalid value for '${key}': expected a string of at most 80 characters`);
    if (await readRow(models.MetadefEntry, { where: { namespace: ns.namespace, kind: 'association', name } }))
      throw new GlanceError(409, DUPLICATE.association(name, ns.namespace));
    await ensureResourceType(name);
    const row: MetadefEntryRow = {
      namespace: ns.namespace,
      kind: 'association',
      name,
      body: JSON.stringify({ prefix: input.prefix, properties_target: input.properties_target }),
      created_at: now(),
      updated_at: now(),
    };
    await models.MetadefEntry.create(row);
    ctx.status = 201;
    ctx.body = associationView(row);
  });

  router.delete('/namespaces/:ns/resource_types/:name', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const ns = await findNamespace(models, auth, ctx.params.ns);
    authorizeMetadef(auth, 'remove_metadef_resource_type_association');
    const entry = await readRow(models.MetadefEntry, { where: { namespace: ns.namespace, kind: 'association', name: ctx.params.name } });
    if (!entry) throw new GlanceError(404, NOT_FOUND.association(ctx.params.name, ns.namespace));
    if (dbBool(ns.protected))
      throw new GlanceError(403, `Metadata definition resource-type-association ${entry.name} is protected and cannot be deleted.`);
    await models.MetadefEntry.destroy({ where: { namespace: ns.namespace, kind: 'association', name: entry.name } });
    ctx.status = 204;
  });

  return router;
}
