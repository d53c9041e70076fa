import type { HostRow, Models } from '../../models/index.js';
import type { ActorGateway } from '../../runtime/client.js';
import { computeActors } from './actors.js';
import { notFound } from './errors.js';

// Disabling, enabling and forcing down a compute service: one path for Nova's os-services and the operator's
// inspector, so both reach the host actor that owns the row the same way and refuse a vanished host alike.

/** What an operator asks of a compute service; the host actor that owns the row carries it out. */
export interface ServiceChange {
  disabled?: boolean;
  reason?: string | null;
  forcedDown?: boolean;
}

export interface ServiceStateDeps {
  readonly actors: ActorGateway;
  readonly models: Models;
}

// Nova's words for a host that has no compute service (no host mapping).
const unmapped = (host: string) => notFound(`Host '${host}' is not mapped to any cell`);

/** Applies a change to a compute host's service and answers its row after it; 404 when the host is not there. */
export async function changeComputeService(d: ServiceStateDeps, host: string, change: ServiceChange, correlationId?: string): Promise<HostRow> {
  if (!(await d.models.Host.findByPk(host, { attributes: ['name'] }))) throw unmapped(host);
  const to = computeActors(d.actors).host(host);
  const options = correlationId ? { correlationId } : {};
  try {
    if (change.disabled === true) await to.disable(change.reason ? { reason: change.reason } : {}, options);
    if (change.disabled === false) await to.enable({}, options);
    if (change.forcedDown !== undefined) await to.forceDown({ forced_down: change.forcedDown }, options);
  } catch (error) {
    // Deleted between our read and the actor's turn.
    if ((error as { code?: string }).code === 'rejected') throw unmapped(host);
    throw error;
  }
  const row = await d.models.Host.findByPk(host);
  if (!row) throw unmapped(host);
  return row.get({ plain: true });
}

/** A compute service as the operator's inspector lists it. */
export interface ComputeServiceState {
  readonly host: string;
  readonly zone: string;
  readonly disabled: boolean;
  readonly disabled_reason: string | null;
  readonly forced_down: boolean;
  readonly status: string;
}

export const serviceState = (r: HostRow): ComputeServiceState => ({
  host: r.name,
  zone: r.availability_zone,
  disabled: Boolean(r.service_disabled),
  disabled_reason: r.disabled_reason,
  forced_down: Boolean(r.forced_down),
  status: r.status,
});

/** The compute services (one per host row), by host name. */
export async function listComputeServices(d: Pick<ServiceStateDeps, 'models'>): Promise<ComputeServiceState[]> {
  const rows = await d.models.Host.findAll({ order: [['name', 'ASC']] });
  return rows.map((r) => serviceState(r.get({ plain: true })));
}
