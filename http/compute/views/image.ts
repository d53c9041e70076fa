import type { ProxyImage } from '../../../services/images/index.js';
import { isoSeconds, links, type ComputeServices } from '../services.js';

// Nova's image views (views/images.py): Glance's statuses in Nova's words, the upload's progress, the properties as
// metadata, the server a snapshot was taken of.

const STATUS: Record<string, string> = {
  active: 'ACTIVE',
  queued: 'SAVING',
  saving: 'SAVING',
  deleted: 'DELETED',
  pending_delete: 'DELETED',
  killed: 'ERROR',
};
const PROGRESS: Record<string, number> = { queued: 25, saving: 50, active: 100 };
/** Properties Nova stores as JSON text and shows as what they hold (glance.py _CONVERT_PROPS). */
const JSON_PROPERTIES = ['block_device_mapping', 'mappings'];
/** oslo's bool_from_string: what reads as true. */
const TRUE_STRINGS = new Set(['1', 't', 'true', 'on', 'y', 'yes']);

function imageLinks(s: ComputeServices, glanceRoot: string, id: string) {
  return [...links(s, `images/${id}`), { rel: 'alternate', type: 'application/vnd.openstack.image', href: `${glanceRoot}/images/${id}` }];
}

export const imageSummary = (s: ComputeServices, glanceRoot: string, i: ProxyImage) => ({
  id: i.id,
  name: i.name,
  links: imageLinks(s, glanceRoot, i.id),
});

export function metadataOf(i: ProxyImage): Record<string, unknown> {
  const metadata: Record<string, unknown> = { ...i.properties };
  for (const name of JSON_PROPERTIES) {
    if (typeof metadata[name] !== 'string') continue;
    try {
      metadata[name] = JSON.parse(metadata[name]);
    } catch {
      // Not JSON: Nova would fail on it; shown as stored instead.
    }
  }
  return metadata;
}

export function imageDetail(s: ComputeServices, glanceRoot: string, i: ProxyImage) {
  const metadata = metadataOf(i);
  const server = i.properties.instance_uuid;
  const diskConfig = i.properties.auto_disk_config;
  return {
    id: i.id,
    name: i.name,
    minRam: i.minRam,
    minDisk: i.minDisk,
    metadata,
    created: isoSeconds(i.createdAt),
    updated: isoSeconds(i.updatedAt),
    status: STATUS[i.status] ?? 'UNKNOWN',
    progress: PROGRESS[i.status] ?? 0,
    // Nova reads an image without data as size 0.
    'OS-EXT-IMG-SIZE:size': i.size ?? 0,
    links: imageLinks(s, glanceRoot, i.id),
    ...(server !== undefined ? { server: { id: server, links: links(s, `servers/${server}`) } } : {}),
    ...(diskConfig !== undefined ? { 'OS-DCF:diskConfig': TRUE_STRINGS.has(diskConfig.trim().toLowerCase()) ? 'AUTO' : 'MANUAL' } : {}),
  };
}
