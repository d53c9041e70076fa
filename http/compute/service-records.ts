import type { HostRow } from '../../models/index.js';
import { serviceUp } from '../../models/host.js';
import { withAggregateZones } from '../../services/compute/aggregates.js';
import { dbBool } from '../db-values.js';
import { badRequest } from './errors.js';
import type { Microversion } from './microversion.js';
import { isUuidLike, pyInt } from './nova-values.js';
import type { ComputeServices } from './services.js';
import { idAt, intId, uuidOf } from './views/ids.js';

/**
 * The services Nova would list, read from the tables their actors keep: a `nova-compute` per host,
 * and per scheduler node a `nova-scheduler` and a `nova-conductor` (Stratus has no separate
 * conductor: the node that schedules also conducts), both in Nova's `internal` zone.
 */
export type Binary = 'nova-compute' | 'nova-scheduler' | 'nova-conductor';

export interface ServiceRecord {
  readonly binary: Binary;
  readonly host: string;
  readonly zone: string;
  readonly disabled: boolean;
  readonly disabledReason: string | null;
  readonly forcedDown: boolean;
  /** Nova's servicegroup answer: reported within service_down_time and not forced down. */
  readonly up: boolean;
  readonly updatedAt: Date | string | null;
  /** The host's row, for a compute service. */
  readonly row?: HostRow;
}

export const INTERNAL_ZONE = 'internal';

/** A host's compute service is up unless its actor failed, it is forced down or silent too long; disabling is a status, not a state. */
export const computeUp = (h: HostRow, now: number, serviceDownMs: number) => serviceUp({ ...h, service_disabled: false }, now, serviceDownMs);

// The zone each host shows is its aggregate's, else its configured one.
export const hostRows = async (s: ComputeServices): Promise<HostRow[]> =>
  withAggregateZones(
    s,
    (await s.models.Host.findAll({ order: [['name', 'ASC']] })).map((r) => r.get({ plain: true })),
  );

export const computeRecord = (h: HostRow, now: number, serviceDownMs: number, nodeGone?: ComputeServices['nodeGone']): ServiceRecord => ({
  binary: 'nova-compute',
  host: h.name,
  zone: h.availability_zone,
  disabled: dbBool(h.service_disabled),
  disabledReason: h.disabled_reason,
  forcedDown: dbBool(h.forced_down),
  up: computeUp(h, now, serviceDownMs) && !nodeGone?.('nova-compute', h.name),
  updatedAt: h.last_seen_at,
  row: h,
});

/** Every service, schedulers' first (they start first, so Nova gives them the lower ids). */
export async function serviceRecords(s: ComputeServices): Promise<ServiceRecord[]> {
  const now = s.clock.now();
  const schedulers = (await s.models.Scheduler.findAll({ order: [['name', 'ASC']] })).map((r) => r.get({ plain: true }));
  const internal = schedulers.flatMap((sc) => {
    const up = now - new Date(sc.updated_at).getTime() <= s.serviceDownMs && !s.nodeGone?.('nova-scheduler', sc.name);
    return (['nova-scheduler', 'nova-conductor'] as const).map((binary): ServiceRecord => ({
      binary,
      host: sc.name,
      zone: INTERNAL_ZONE,
      disabled: false,
      disabledReason: null,
      forcedDown: false,
      up,
      updatedAt: sc.updated_at,
    }));
  });
  return [...internal, ...(await hostRows(s)).map((h) => computeRecord(h, now, s.serviceDownMs, s.nodeGone))];
}

const keyOf = (r: Pick<ServiceRecord, 'binary' | 'host'>) => `service/${r.binary}/${r.host}`;

/** The service's id as the version shows it: an integer before 2.53, a UUID from then on. */
export const serviceIdAt = (v: Microversion, r: Pick<ServiceRecord, 'binary' | 'host'>) => idAt(v.atLeast('2.53'), keyOf(r));

/** A service or hypervisor id in a path, as Nova takes it: a UUID from 2.53, an integer (else `notInteger`) before. */
export function idInPath(v: Microversion, id: string, notInteger: () => Error): number | string {
  if (v.atLeast('2.53')) {
    if (!isUuidLike(id)) throw badRequest(`Invalid uuid ${id}`);
    return id;
  }
  const n = pyInt(id);
  if (n === undefined) throw notInteger();
  return n;
}

/** The service an integer id or a UUID names. */
export function serviceById(records: readonly ServiceRecord[], id: number | string): ServiceRecord | undefined {
  return typeof id === 'number' ? records.find((r) => intId(keyOf(r)) === id) : records.find((r) => uuidOf(keyOf(r)) === id.toLowerCase());
}

/** A compute node's id: an integer before 2.53, a UUID from then on. */
export const hypervisorIdAt = (v: Microversion, h: HostRow) => idAt(v.atLeast('2.53'), `hypervisor/${h.name}`);

/** The host an integer hypervisor id or a UUID names. */
export const hypervisorById = (hosts: readonly HostRow[], id: number | string) =>
  typeof id === 'number'
    ? hosts.find((h) => intId(`hypervisor/${h.name}`) === id)
    : hosts.find((h) => uuidOf(`hypervisor/${h.name}`) === id.toLowerCase());
