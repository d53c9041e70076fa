import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import { Op, UniqueConstraintError, type WhereOptions } from 'sequelize';
import type { FlavorRow } from '../../../models/index.js';
import { badRequest, NovaFault, notFound } from '../errors.js';
import { extraSpecsOf, flavorInPath, flavorsOpenTo, writeTransaction } from '../flavor-store.js';
import { flavorCreate, flavorIndexQuery, flavorUpdate } from '../flavor-request.js';
import { checkBody, checkQuery } from '../json-schema.js';
import { lastOf, truthy } from '../nova-values.js';
import { collectionLinks, limitOf, markerOf } from '../pagination.js';
import { authorize, permits, requestBody, type ComputeContext, type ComputeServices, type ComputeState } from '../services.js';
import { sortSql, sortValues, withoutKeys } from '../server-page.js';
import { flavorDetail, flavorSummary } from '../views/flavor.js';
import { readRows } from '../../../models/typed.js';

/** Python's int() of a query value, or Nova's 400 naming the filter. */
function intFilter(name: string, value: string | string[] | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = String(lastOf(value)).trim();
  if (!/^[+-]?\d+$/.test(text)) throw badRequest(`Invalid ${name} filter [${String(value)}]`);
  return Number(text);
}

const first = (value: unknown) => (Array.isArray(value) ? value[0] : value) as string | undefined;

// sort_key as Nova's columns are named; `id` is Nova's internal row id, which follows creation.
const SORT_COLUMNS: Record<string, keyof FlavorRow | 'vcpu_weight'> = {
  flavorid: 'id',
  id: 'created_at',
  created_at: 'created_at',
  updated_at: 'updated_at',
  description: 'description',
  disabled: 'disabled',
  ephemeral_gb: 'ephemeral_gb',
  is_public: 'is_public',
  memory_mb: 'memory_mb',
  name: 'name',
  root_gb: 'root_gb',
  rxtx_factor: 'rxtx_factor',
  swap: 'swap',
  vcpu_weight: 'vcpu_weight',
  vcpus: 'vcpus',
};

/** Flavors: list, detail, show, and (admin) create, update and delete, with Nova's filters and paging. */
export function flavorRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();
  const Flavor = s.models.Flavor;

  const list = async (ctx: ComputeContext) => {
    checkQuery(flavorIndexQuery(ctx.state.version), ctx.query);
    authorize(ctx, 'os_compute_api:flavors:index', 'reader');
    const q = ctx.query;
    const admin = ctx.state.auth.isAdmin;
    const sortKey = first(q.sort_key) || 'flavorid';
    const sortDir = (first(q.sort_dir) || 'asc') as 'asc' | 'desc';
    const limit = limitOf(ctx);
    const marker = markerOf(ctx);
    // Admins choose public (default), private or all (`none`); everyone else sees the enabled public
    // flavors and the private ones opened to their project.
    let isPublic: boolean | null = true;
    if (admin && q.is_public !== undefined) {
      const text = String(first(q.is_public)).trim().toLowerCase();
      if (text === 'none') isPublic = null;
      else if (['1', 't', 'true', 'on', 'y', 'yes'].includes(text)) isPublic = true;
      else if (['0', 'f', 'false', 'off', 'n', 'no'].includes(text)) isPublic = false;
      else throw badRequest(`Invalid is_public filter [${String(first(q.is_public))}]`);
    }
    const minRam = intFilter('minRam', q.minRam);
    const minDisk = intFilter('minDisk', q.minDisk);
    // Filtered, sorted and paged in SQL, so that a page reads no more flavors than it shows.
    const open = [...(await flavorsOpenTo(s, ctx.state.project))];
    const visible: WhereOptions = admin ? {} : { [Op.or]: [{ is_public: true }, { id: { [Op.in]: open } }] };
    const filters: WhereOptions[] = [{ deleted_at: null }, visible];
    if (minRam !== undefined) filters.push({ memory_mb: { [Op.gte]: minRam } });
    if (minDisk !== undefined) filters.push({ root_gb: { [Op.gte]: minDisk } });
    if (!admin) filters.push({ disabled: false });
    if (isPublic === false) filters.push({ is_public: false });
    if (isPublic === true) filters.push({ [Op.or]: [{ is_public: true }, { id: { [Op.in]: open } }] });
    const column = SORT_COLUMNS[sortKey] as string | undefined;
    // Ties by creation, then flavorid, in the same direction; vcpu_weight is no column (always NULL): ties only.
    const sort = [...new Set([...(column && column !== 'vcpu_weight' ? [column] : []), 'created_at', 'id'])].map((c) => ({
      column: c,
      dir: sortDir,
    }));
    const sql = sortSql(Flavor, sort, false);
    if (marker !== undefined) {
      const at = await Flavor.findOne({ where: { [Op.and]: [{ deleted_at: null }, visible, { id: marker }] }, attributes: sql.keys, raw: true });
      if (!at) throw badRequest(`marker [${marker}] not found`);
      filters.push(sql.after(sortValues(at, sort.length)));
    }
    if (limit === 0) return [];
    const rows = await readRows(Flavor, {
      where: { [Op.and]: filters },
      attributes: [...Object.keys(Flavor.getAttributes()), ...sql.keys],
      order: sql.order,
      limit,
    });
    return rows.map((f) => withoutKeys(f, sort.length));
  };
  const specsFor = async (ctx: ComputeContext, rows: FlavorRow[]) =>
    ctx.state.version.atLeast('2.61') && permits(ctx, 'reader')
      ? extraSpecsOf(
          s,
          rows.map((f) => f.id),
        )
      : undefined;
  const listLinks = (ctx: ComputeContext, collection: string, rows: FlavorRow[]) => {
    const links = collectionLinks(
      s,
      ctx,
      collection,
      rows.map((f) => f.id),
    );
    return links.length ? { flavors_links: links } : {};
  };

  router.get('/flavors', async (ctx) => {
    const rows = await list(ctx);
    ctx.body = { flavors: rows.map((f) => flavorSummary(s, f, ctx.state.version)), ...listLinks(ctx, 'flavors', rows) };
  });
  router.get('/flavors/detail', async (ctx) => {
    const rows = await list(ctx);
    const specs = await specsFor(ctx, rows);
    ctx.body = { flavors: rows.map((f) => flavorDetail(s, f, ctx.state.version, specs?.get(f.id))), ...listLinks(ctx, 'flavors/detail', rows) };
  });
  router.get('/flavors/:id', async (ctx) => {
    authorize(ctx, 'os_compute_api:flavors:show', 'reader');
    const flavor = await flavorInPath(s, ctx);
    const specs = await specsFor(ctx, [flavor]);
    ctx.body = { flavor: flavorDetail(s, flavor, ctx.state.version, specs?.get(flavor.id)) };
  });

  router.post('/flavors', async (ctx) => {
    const v = ctx.state.version;
    const body = await requestBody(ctx);
    checkBody(flavorCreate(v), body ?? null);
    authorize(ctx, 'os_compute_api:os-flavor-manage:create', 'admin');
    const f = (body as { flavor: Record<string, unknown> }).flavor;
    // As Nova: no id, null or 0 asks for a generated UUID; numbers are kept as their text.
    const given = f.id as string | number | null | undefined;
    const id = given ? String(given) : randomUUID();
    const name = String(f.name).trim();
    const now = new Date(s.clock.now());
    const row: FlavorRow = {
      id,
      name,
      memory_mb: Number(f.ram),
      vcpus: Number(f.vcpus),
      root_gb: Number(f.disk),
      ephemeral_gb: Number(f['OS-FLV-EXT-DATA:ephemeral'] ?? 0),
      swap: Number(f.swap ?? 0),
      rxtx_factor: Number(f.rxtx_factor ?? 1),
      is_public: f['os-flavor-access:is_public'] === undefined ? true : truthy(f['os-flavor-access:is_public']),
      disabled: false,
      description: v.atLeast('2.55') ? ((f.description as string | null | undefined) ?? null) : null,
      created_at: now,
      updated_at: now,
      deleted_at: null,
    };
    const Flavor = s.models.Flavor;
    try {
      await writeTransaction(s, async (transaction) => {
        if (await Flavor.count({ where: { id, deleted_at: null }, transaction })) throw new NovaFault(409, `Flavor with ID ${id} already exists.`);
        if (await Flavor.count({ where: { name, deleted_at: null }, transaction }))
          throw new NovaFault(409, `Flavor with name ${name} already exists.`);
        // A deleted flavor's row gives its id up to the new one (Nova deletes the row outright).
        await Flavor.destroy({ where: { id }, transaction });
        await Flavor.create(row, { transaction });
      });
    } catch (error) {
      if (error instanceof UniqueConstraintError) {
        const byId = await Flavor.count({ where: { id, deleted_at: null } });
        throw new NovaFault(409, byId ? `Flavor with ID ${id} already exists.` : `Flavor with name ${name} already exists.`);
      }
      throw error;
    }
    ctx.body = { flavor: flavorDetail(s, row, v, v.atLeast('2.61') && permits(ctx, 'reader') ? {} : undefined) };
  });

  router.put('/flavors/:id', async (ctx) => {
    const v = ctx.state.version;
    if (!v.atLeast('2.55')) throw notFound('The resource could not be found.');
    const body = await requestBody(ctx);
    checkBody(flavorUpdate, body ?? null);
    authorize(ctx, 'os_compute_api:os-flavor-manage:update', 'admin');
    const flavor = await flavorInPath(s, ctx);
    const description = (body as { flavor: { description: string | null } }).flavor.description;
    const updated_at = new Date(s.clock.now());
    await s.models.Flavor.update({ description, updated_at }, { where: { id: flavor.id, deleted_at: null } });
    const specs = await specsFor(ctx, [flavor]);
    ctx.body = { flavor: flavorDetail(s, { ...flavor, description, updated_at }, v, specs?.get(flavor.id)) };
  });

  router.delete('/flavors/:id', async (ctx) => {
    authorize(ctx, 'os_compute_api:os-flavor-manage:delete', 'admin');
    const flavor = await flavorInPath(s, ctx);
    // The row stays, marked deleted: servers booted from the flavor keep showing it. Its access and
    // extra specs go with it, as in Nova.
    const now = new Date(s.clock.now());
    await writeTransaction(s, async (transaction) => {
      await s.models.Flavor.update({ deleted_at: now, updated_at: now }, { where: { id: flavor.id, deleted_at: null }, transaction });
      await s.models.FlavorProject.destroy({ where: { flavor_id: flavor.id }, transaction });
      await s.models.FlavorExtraSpec.destroy({ where: { flavor_id: flavor.id }, transaction });
    });
    ctx.status = 202;
    ctx.body = '';
  });

  return router;
}
