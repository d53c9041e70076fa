import Router from '@koa/router';
import { badRequest, notFound } from '../errors.js';
import { checkBody } from '../json-schema.js';
import type { Microversion } from '../microversion.js';
import { addHostSchema, createAggregateSchema, removeHostSchema, setMetadataSchema, updateAggregateSchema } from '../schemas/aggregates.js';
import { isoMicros, requestBody, type ComputeContext, type ComputeServices, type ComputeState } from '../services.js';
import {
  addHost,
  createAggregate,
  deleteAggregate,
  listAggregates,
  removeHost,
  setMetadata,
  showAggregate,
  updateAggregate,
  type Aggregate,
} from '../../../services/compute/aggregates.js';

/** An aggregate as Nova's view shows it; `uuid` from 2.41. */
const view = (a: Aggregate, v: Microversion) => ({
  availability_zone: a.meta.availability_zone ?? null,
  created_at: isoMicros(a.created_at),
  deleted: false,
  deleted_at: null,
  hosts: a.hosts,
  id: a.id,
  metadata: a.meta,
  name: a.name,
  updated_at: isoMicros(a.updated_at),
  ...(v.atLeast('2.41') ? { uuid: a.uuid } : {}),
});

const MAX_ID = 0x7fffffff;

/** Nova's validate_integer for the aggregate id in a path; one past the column's range names no aggregate. */
function idOf(ctx: ComputeContext): number {
  const raw = ctx.params.id;
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw badRequest('Invalid input received: id must be an integer');
  const id = Number(raw);
  if (Math.abs(id) > MAX_ID) throw notFound(`Aggregate ${raw.trim()} could not be found.`);
  return id;
}

/** os-aggregates: CRUD, add_host, remove_host and set_metadata; admins only, as Nova's default policy. */
export function aggregateRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>({ prefix: '/os-aggregates' });
  router.get('/', async (ctx) => {
    const v = ctx.state.version;
    ctx.body = { aggregates: (await listAggregates(s, ctx.state)).map((a) => view(a, v)) };
  });
  router.post('/', async (ctx) => {
    const body = await requestBody(ctx);
    checkBody(createAggregateSchema, body);
    const asked = (body as { aggregate: { name: string; availability_zone?: string | null } }).aggregate;
    const created = view(await createAggregate(s, ctx.state, asked.name, asked.availability_zone ?? undefined), ctx.state.version);
    // Nova's create answers without hosts and metadata.
    const { hosts: _hosts, metadata: _metadata, ...shown } = created;
    ctx.body = { aggregate: shown };
  });
  router.get('/:id', async (ctx) => {
    ctx.body = { aggregate: view(await showAggregate(s, ctx.state, idOf(ctx)), ctx.state.version) };
  });
  router.put('/:id', async (ctx) => {
    const id = idOf(ctx);
    const body = await requestBody(ctx);
    checkBody(updateAggregateSchema, body);
    const asked = (body as { aggregate: { name?: string; availability_zone?: string | null } }).aggregate;
    const change = {
      ...(asked.name !== undefined ? { name: asked.name } : {}),
      ...(asked.availability_zone ? { zone: asked.availability_zone } : {}),
    };
    ctx.body = { aggregate: view(await updateAggregate(s, ctx.state, id, change), ctx.state.version) };
  });
  router.delete('/:id', async (ctx) => {
    await deleteAggregate(s, ctx.state, idOf(ctx));
    ctx.status = 200;
    ctx.body = '';
  });
  router.post('/:id/action', async (ctx) => {
    const id = idOf(ctx);
    const body = await requestBody(ctx);
    const action = body && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body)[0] : undefined;
    let result: Aggregate;
    if (action === 'add_host') {
      checkBody(addHostSchema, body);
      result = await addHost(s, ctx.state, id, (body as { add_host: { host: string } }).add_host.host);
    } else if (action === 'remove_host') {
      checkBody(removeHostSchema, body);
      result = await removeHost(s, ctx.state, id, (body as { remove_host: { host: string } }).remove_host.host);
    } else if (action === 'set_metadata') {
      checkBody(setMetadataSchema, body);
      result = await setMetadata(s, ctx.state, id, (body as { set_metadata: { metadata: Record<string, string | null> } }).set_metadata.metadata);
    } else {
      throw badRequest(`There is no such action: ${action ?? ''}`);
    }
    ctx.body = { aggregate: view(result, ctx.state.version) };
  });
  return router;
}
