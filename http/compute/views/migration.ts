import type { MigrationRow } from '../../../models/index.js';
import type { Microversion } from '../microversion.js';
import { isoMicros, links, type ComputeServices } from '../services.js';

// Nova's migration views (migrations.py _output, server_migrations.py output at 26.0.0).

/** Nova stores the flavors' integer ids; Stratus keys flavors by flavorid, shown when it is a number. */
const flavorNumber = (id: string | null) => (id !== null && /^\d{1,9}$/.test(id) ? Number(id) : null);

/** The statuses in which Nova counts a live migration as in progress (and links it). */
export const LIVE_IN_PROGRESS = ['queued', 'preparing', 'running'];

export function migrationView(s: ComputeServices, m: MigrationRow, v: Microversion): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: Number(m.id),
    status: m.status,
    instance_uuid: m.instance_uuid,
    source_node: m.source_node,
    source_compute: m.source_compute,
    dest_node: m.dest_node,
    dest_compute: m.dest_compute,
    dest_host: m.dest_host,
    old_instance_type_id: flavorNumber(m.old_instance_type_id),
    new_instance_type_id: flavorNumber(m.new_instance_type_id),
    created_at: isoMicros(m.created_at),
    updated_at: isoMicros(m.updated_at),
  };
  if (v.atLeast('2.23')) {
    view.migration_type = m.migration_type;
    if (m.migration_type === 'live-migration' && LIVE_IN_PROGRESS.includes(m.status ?? ''))
      view.links = links(s, `servers/${m.instance_uuid}/migrations/${m.id}`);
  }
  if (v.atLeast('2.59')) view.uuid = m.uuid;
  if (v.atLeast('2.80')) Object.assign(view, { user_id: m.user_id, project_id: m.project_id });
  return view;
}

export function serverMigrationView(m: MigrationRow, v: Microversion): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: Number(m.id),
    server_uuid: m.instance_uuid,
    status: m.status,
    created_at: isoMicros(m.created_at),
    updated_at: isoMicros(m.updated_at),
    source_compute: m.source_compute,
    source_node: m.source_node,
    dest_compute: m.dest_compute,
    dest_host: m.dest_host,
    dest_node: m.dest_node,
    memory_total_bytes: m.memory_total,
    memory_processed_bytes: m.memory_processed,
    memory_remaining_bytes: m.memory_remaining,
    disk_total_bytes: m.disk_total,
    disk_processed_bytes: m.disk_processed,
    disk_remaining_bytes: m.disk_remaining,
  };
  if (v.atLeast('2.59')) view.uuid = m.uuid;
  if (v.atLeast('2.80')) Object.assign(view, { user_id: m.user_id, project_id: m.project_id });
  return view;
}
