import { randomUUID } from 'node:crypto';
import { Op, UniqueConstraintError } from 'sequelize';
import type { AggregateRow, HostRow } from '../../models/index.js';
import { aggregateFacts, aggregatesChanged, parseMetadata } from '../../models/placement.js';
import { readByPk, readRows } from '../../models/typed.js';
import type { ComputeDeps } from './deps.js';
import { badRequest, ComputeFault, notFound } from './errors.js';
import { authorize, type ComputeCaller } from './policy.js';

// Host aggregates as Nova's AggregateAPI keeps them: hosts and metadata, and a zone in the `availability_zone` key.
// A host's zone is its aggregate's, else the zone its configuration gives it (where Nova has default_availability_zone).

const POLICY = 'os_compute_api:os-aggregates';
const ZONE = 'availability_zone';

export interface Aggregate extends AggregateRow {
  readonly hosts: string[];
  readonly meta: Record<string, string>;
}

const conflict = (message: string) => new ComputeFault(409, message);
const aggregateNotFound = (id: number | string) => notFound(`Aggregate ${id} could not be found.`);

async function withHosts(d: Pick<ComputeDeps, 'models'>, rows: AggregateRow[]): Promise<Aggregate[]> {
  const hosts = rows.length ? await readRows(d.models.AggregateHost, { where: { aggregate_id: { [Op.in]: rows.map((r) => r.id) } } }) : [];
  return rows.map((r) => ({
    ...r,
    meta: parseMetadata(r.metadata),
    hosts: hosts
      .filter((h) => h.aggregate_id === r.id)
      .map((h) => h.host)
      .sort(),
  }));
}

export async function listAggregates(d: ComputeDeps, caller: ComputeCaller): Promise<Aggregate[]> {
  authorize(caller, `${POLICY}:index`, 'admin');
  return withHosts(d, await readRows(d.models.Aggregate, { order: [['id', 'ASC']] }));
}

async function find(d: ComputeDeps, id: number): Promise<Aggregate> {
  const row = await readByPk(d.models.Aggregate, id);
  if (!row) throw aggregateNotFound(id);
  return (await withHosts(d, [row]))[0];
}

export async function showAggregate(d: ComputeDeps, caller: ComputeCaller, id: number): Promise<Aggregate> {
  authorize(caller, `${POLICY}:show`, 'admin');
  return find(d, id);
}

/**
 * Nova's is_safe_to_update_az: a zone needs a name, and no host of the aggregate (or the hosts being added) may be in
 * an aggregate of another zone, for a host is in one zone only.
 */
async function checkZone(
  d: ComputeDeps,
  aggregate: { id: number; hosts: readonly string[] },
  zone: string | undefined,
  refuse: (reason: string) => Error,
) {
  if (zone === undefined) return;
  if (!zone) throw refuse(`Aggregate ${aggregate.id} does not support empty named availability zone`);
  if (!aggregate.hosts.length) return;
  const others = await readRows(d.models.AggregateHost, {
    where: { host: { [Op.in]: [...aggregate.hosts] }, aggregate_id: { [Op.ne]: aggregate.id } },
  });
  const rows = others.length
    ? await readRows(d.models.Aggregate, { where: { id: { [Op.in]: [...new Set(others.map((o) => o.aggregate_id))] } } })
    : [];
  const clashing = rows.map((r) => parseMetadata(r.metadata)[ZONE]).filter((z): z is string => Boolean(z) && z !== zone);
  if (clashing.length) throw refuse(`One or more hosts already in availability zone(s) [${clashing.map((z) => `'${z}'`).join(', ')}]`);
}

async function checkNameFree(d: ComputeDeps, name: string, except?: number): Promise<void> {
  const same = await readRows(d.models.Aggregate, {
    where: { name, ...(except === undefined ? {} : { id: { [Op.ne]: except } }) },
    attributes: ['id'],
  });
  if (same.length) throw conflict(`Aggregate ${name} already exists.`);
}

export async function createAggregate(d: ComputeDeps, caller: ComputeCaller, name: string, zone: string | undefined): Promise<Aggregate> {
  authorize(caller, `${POLICY}:create`, 'admin');
  await checkNameFree(d, name);
  const now = new Date(d.clock.now());
  try {
    const row = await d.models.Aggregate.create({
      uuid: randomUUID(),
      name,
      metadata: JSON.stringify(zone ? { [ZONE]: zone } : {}),
      created_at: now,
      updated_at: null,
    });
    aggregatesChanged();
    return (await withHosts(d, [row.get({ plain: true })]))[0];
  } catch (error) {
    if (error instanceof UniqueConstraintError) throw conflict(`Aggregate ${name} already exists.`);
    throw error;
  }
}

export async function updateAggregate(
  d: ComputeDeps,
  caller: ComputeCaller,
  id: number,
  change: { name?: string; zone?: string },
): Promise<Aggregate> {
  authorize(caller, `${POLICY}:update`, 'admin');
  const aggregate = await find(d, id);
  if (change.name !== undefined) await checkNameFree(d, change.name, id);
  await checkZone(d, aggregate, change.zone, (reason) => badRequest(`Cannot update aggregate ${id}. Reason: ${reason}.`));
  const meta = change.zone === undefined ? aggregate.meta : { ...aggregate.meta, [ZONE]: change.zone };
  await d.models.Aggregate.update(
    { ...(change.name !== undefined ? { name: change.name } : {}), metadata: JSON.stringify(meta), updated_at: new Date(d.clock.now()) },
    { where: { id } },
  );
  aggregatesChanged();
  return find(d, id);
}

export async function deleteAggregate(d: ComputeDeps, caller: ComputeCaller, id: number): Promise<void> {
  authorize(caller, `${POLICY}:delete`, 'admin');
  const aggregate = await find(d, id);
  if (aggregate.hosts.length) throw badRequest(`Cannot perform action 'delete' on aggregate ${id}. Reason: Host aggregate is not empty.`);
  await d.models.Aggregate.destroy({ where: { id } });
  aggregatesChanged();
}

export async function addHost(d: ComputeDeps, caller: ComputeCaller, id: number, host: string): Promise<Aggregate> {
  authorize(caller, `${POLICY}:add_host`, 'admin');
  const aggregate = await find(d, id);
  if (!(await readByPk(d.models.Host, host))) throw notFound(`Compute host ${host} could not be found.`);
  if (aggregate.hosts.includes(host)) throw conflict(`Aggregate ${id} already has host ${host}.`);
  await checkZone(d, { id, hosts: [host] }, aggregate.meta[ZONE], (reason) => conflict(`Cannot add host to aggregate ${id}. Reason: ${reason}.`));
  try {
    await d.models.AggregateHost.create({ aggregate_id: id, host });
    aggregatesChanged();
  } catch (error) {
    if (error instanceof UniqueConstraintError) throw conflict(`Aggregate ${id} already has host ${host}.`);
    throw error;
  }
  await d.models.Aggregate.update({ updated_at: new Date(d.clock.now()) }, { where: { id } });
  return find(d, id);
}

export async function removeHost(d: ComputeDeps, caller: ComputeCaller, id: number, host: string): Promise<Aggregate> {
  authorize(caller, `${POLICY}:remove_host`, 'admin');
  const aggregate = await find(d, id);
  if (!aggregate.hosts.includes(host)) {
    if (!(await readByPk(d.models.Host, host))) throw notFound(`Compute host ${host} could not be found.`);
    throw notFound(`Aggregate ${id} has no host ${host}.`);
  }
  await d.models.AggregateHost.destroy({ where: { aggregate_id: id, host } });
  aggregatesChanged();
  await d.models.Aggregate.update({ updated_at: new Date(d.clock.now()) }, { where: { id } });
  return find(d, id);
}

/** Nova's set_metadata: keys given a value are set, keys given null are removed. */
export async function setMetadata(d: ComputeDeps, caller: ComputeCaller, id: number, metadata: Record<string, string | null>): Promise<Aggregate> {
  authorize(caller, `${POLICY}:set_metadata`, 'admin');
  const aggregate = await find(d, id);
  const zone = metadata[ZONE];
  if (zone !== undefined && zone !== null) {
    await checkZone(d, aggregate, zone, (reason) => badRequest(`Cannot update metadata of aggregate ${id}. Reason: ${reason}.`));
  }
  const meta: Record<string, string> = { ...aggregate.meta };
  for (const [k, v] of Object.entries(metadata)) {
    if (v === null) delete meta[k];
    else meta[k] = v;
  }
  await d.models.Aggregate.update({ metadata: JSON.stringify(meta), updated_at: new Date(d.clock.now()) }, { where: { id } });
  aggregatesChanged();
  return find(d, id);
}

/** Host rows with the zone their aggregates give them (else the configured one), as the APIs and the scheduler see them. */
export async function withAggregateZones(d: Pick<ComputeDeps, 'models'>, hosts: HostRow[]): Promise<HostRow[]> {
  const { zoneOf } = await aggregateFacts(d.models);
  return zoneOf.size ? hosts.map((h) => ({ ...h, availability_zone: zoneOf.get(h.name) ?? h.availability_zone })) : hosts;
}

/** Whether a zone has an enabled host (Nova's check of a boot's zone). */
export async function zoneAvailable(d: Pick<ComputeDeps, 'models'>, zone: string): Promise<boolean> {
  const hosts = await withAggregateZones(d, await readRows(d.models.Host, { where: { service_disabled: false } }));
  return hosts.some((h) => h.availability_zone === zone);
}

/** A host's zone: its aggregate's, else its configured one; undefined for an unknown host. */
export async function zoneOfHost(d: Pick<ComputeDeps, 'models'>, host: string): Promise<string | undefined> {
  const row = await readByPk(d.models.Host, host);
  return row ? (await withAggregateZones(d, [row]))[0].availability_zone : undefined;
}
