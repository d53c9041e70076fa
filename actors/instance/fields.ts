import type { Static } from '@sinclair/typebox';
import type { Handler } from '../../runtime/kind.js';
import { reject } from '../../runtime/errors.js';
import type { InstanceRow } from '../../models/instance.js';
import { MAX_TAGS, type fieldMessages } from './fields-protocol.js';
import type { CreateInstance } from './state.js';

type Messages = typeof fieldMessages;
type PayloadOf<T extends keyof Messages> = Static<Messages[T]['payload']>;

const json = (value: unknown) => JSON.stringify(value);
export const metadataOf = (s: InstanceRow): Record<string, string> =>
  s.metadata && s.metadata !== '{}' ? (JSON.parse(s.metadata) as Record<string, string>) : {};
export const tagsOf = (s: InstanceRow): string[] => (s.tags && s.tags !== '[]' ? (JSON.parse(s.tags) as string[]) : []);
// Tags are a set; kept sorted so every reader sees them in one order.
const tagSet = (tags: Iterable<string>) => json([...new Set(tags)].sort());

/** The extra columns of a new instance, from its create message. */
export const createdFields = (p: CreateInstance) => ({
  metadata: json(p.metadata ?? {}),
  tags: tagSet(p.tags ?? []),
  user_data: p.user_data ?? null,
  access_ip_v4: p.access_ip_v4 ?? null,
  access_ip_v6: p.access_ip_v6 ?? null,
  config_drive: p.config_drive ? 'True' : '',
  key_data: p.key_data ?? null,
  admin_pass: p.admin_pass ?? null,
  auto_disk_config: p.auto_disk_config ?? false,
  root_device_name: null,
  security_groups: json(p.security_groups ?? ['default']),
  trusted_certs: p.trusted_certs ? json(p.trusted_certs) : null,
  swap: p.swap ?? 0,
  flavor_extra_specs: json(p.flavor_extra_specs ?? {}),
  requested_host: p.requested_host ?? null,
  force_host: p.force_host ?? false,
});

/** A refusal the API answers with Nova's status and message. */
const refuse = (status: number, message: string) => reject(message, { status });

// Nova's check_instance_state for metadata changes (nova/compute/api.py): settled, launched, in one of these states.
const CHANGEABLE = ['active', 'paused', 'suspended', 'stopped'];

function checkState(s: InstanceRow, action: string, settled: boolean): void {
  const conflict = (attr: string, value: string | null) =>
    refuse(409, `Cannot '${action}' instance ${s.uuid} while it is in ${attr} ${value === null ? 'None' : String(value)}`);
  if (!CHANGEABLE.includes(s.vm_state)) throw conflict('vm_state', s.vm_state);
  if (!settled) return;
  if (s.task_state !== null) throw conflict('task_state', s.task_state);
  if (!s.launched_at) throw conflict('launched_at', null);
}

// SQLite hands booleans back as 1 and 0.
export const dbBool = (v: unknown): boolean => v === true || v === 1 || v === '1';
const isLocked = (s: InstanceRow) => dbBool(s.locked);

function checkLock(s: InstanceRow, asAdmin: boolean): void {
  if (isLocked(s) && !asAdmin) throw refuse(409, `Instance ${s.uuid} is locked`);
}

export const updated = (s: InstanceRow, p: PayloadOf<'update'>, now: number): InstanceRow => ({
  ...s,
  ...(p.display_name !== undefined ? { display_name: p.display_name } : {}),
  ...(p.display_description !== undefined ? { display_description: p.display_description } : {}),
  ...(p.hostname !== undefined ? { hostname: p.hostname } : {}),
  ...(p.access_ip_v4 !== undefined ? { access_ip_v4: p.access_ip_v4 } : {}),
  ...(p.access_ip_v6 !== undefined ? { access_ip_v6: p.access_ip_v6 } : {}),
  ...(p.auto_disk_config !== undefined ? { auto_disk_config: p.auto_disk_config } : {}),
  updated_at: new Date(now),
});

type Live = (state: InstanceRow | null, self: string) => InstanceRow;
type Handlers = { [T in keyof Messages]: Handler<InstanceRow, PayloadOf<T>> };

/** The handlers of fields-protocol.ts; `live` is the kind's check that the instance exists and is not deleted. */
export function fieldHandlers(live: Live): Handlers {
  const at = (s: InstanceRow, now: number, change: Partial<InstanceRow>) => {
    const next = { ...s, ...change, updated_at: new Date(now) };
    return { state: next, reply: next };
  };
  return {
    update: (state, payload, ctx) => {
      const next = updated(live(state, ctx.self.id), payload, ctx.now);
      return { state: next, reply: next };
    },
    updateMetadata: (state, { items, replace, as_admin, limit }, ctx) => {
      const s = live(state, ctx.self.id);
      checkLock(s, as_admin);
      checkState(s, 'update metadata', true);
      const merged = replace ? items : { ...metadataOf(s), ...items };
      if (limit >= 0 && Object.keys(merged).length > limit) throw refuse(403, `Maximum number of metadata items exceeds ${limit}`);
      return at(s, ctx.now, { metadata: json(merged) });
    },
    deleteMetadataItem: (state, { key, as_admin }, ctx) => {
      const s = live(state, ctx.self.id);
      const metadata = metadataOf(s);
      if (!(key in metadata)) throw refuse(404, 'Metadata item was not found');
      checkLock(s, as_admin);
      checkState(s, 'delete metadata', true);
      delete metadata[key];
      return at(s, ctx.now, { metadata: json(metadata) });
    },
    setTags: (state, { tags }, ctx) => {
      const s = live(state, ctx.self.id);
      checkState(s, 'update tags', false);
      return at(s, ctx.now, { tags: tagSet(tags) });
    },
    addTag: (state, { tag }, ctx) => {
      const s = live(state, ctx.self.id);
      checkState(s, 'update tag', false);
      const tags = tagsOf(s);
      if (tags.length >= MAX_TAGS) throw refuse(400, `The number of tags exceeded the per-server limit ${MAX_TAGS}`);
      if (tags.includes(tag)) return { reply: { added: false, tags } };
      const next = { ...s, tags: tagSet([...tags, tag]), updated_at: new Date(ctx.now) };
      return { state: next, reply: { added: true, tags: tagsOf(next) } };
    },
    deleteTag: (state, { tag }, ctx) => {
      const s = live(state, ctx.self.id);
      checkState(s, 'delete tag', false);
      const tags = tagsOf(s);
      if (!tags.includes(tag)) throw refuse(404, `Instance ${s.uuid} has no tag '${tag}'`);
      return at(s, ctx.now, { tags: tagSet(tags.filter((t) => t !== tag)) });
    },
    deleteTags: (state, _payload, ctx) => {
      const s = live(state, ctx.self.id);
      checkState(s, 'delete tags', false);
      return at(s, ctx.now, { tags: '[]' });
    },
  };
}
