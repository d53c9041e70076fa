import { Op } from 'sequelize';
import type { InstanceRow } from '../../models/index.js';
import { badRequest, NovaFault } from './errors.js';
import { filterRegex } from './filter-regex.js';
import { MarkerNotFound, readPage, type SortColumn } from './server-page.js';
import type { Microversion } from './microversion.js';
import { findFlavor } from './flavor-store.js';
import { ignoredSortKeys, JOINED_TABLE_FILTERS, querySchema } from './schemas/servers.js';
import { authorize, type ComputeContext, type ComputeServices } from './services.js';
import { STATE_MAP } from './views/status.js';
import { tagsOf } from './views/server.js';
import { checkQuery } from './json-schema.js';
import { lenientBool, parseIsoTime, strictBool } from './nova-values.js';
import { MAX_LIMIT } from './pagination.js';

// GET /servers and /servers/detail as Nova's servers controller, compute API and database
// layer read the query string (nova/api/openstack/compute/servers.py _get_servers,
// nova/compute/api.py get_all, nova/db/main/api.py instance_get_all_by_filters_sort).

/** The filters a user without allow_all_filters (a non-admin) may use at a version; the rest are dropped. */
function userFilters(v: Microversion): Set<string> {
  return new Set([
    'reservation_id',
    'name',
    'status',
    'image',
    'flavor',
    'ip',
    'changes-since',
    'all_tenants',
    ...(v.atLeast('2.5') ? ['ip6'] : []),
    ...(v.atLeast('2.26') ? ['tags', 'tags-any', 'not-tags', 'not-tags-any'] : []),
    ...(v.atLeast('2.66') ? ['changes-before'] : []),
    ...(v.atLeast('2.73') ? ['locked'] : []),
    ...(v.atLeast('2.83')
      ? [
          'availability_zone',
          'config_drive',
          'key_name',
          'created_at',
          'launched_at',
          'terminated_at',
          'power_state',
          'task_state',
          'vm_state',
          'progress',
          'user_id',
        ]
      : []),
    ...(v.atLeast('2.90') ? ['hostname'] : []),
  ]);
}

const PAGING = ['sort_key', 'sort_dir', 'limit', 'marker'];
// Matched exactly (IN for lists), in SQL; everything else that names a column is a regular expression.
const EXACT = ['project_id', 'user_id', 'image_ref', 'vm_state', 'uuid', 'host', 'task_state', 'locked'];
// Filter names that are other names for columns (compute API's filter_mapping).
const ALIASES: Record<string, string> = { name: 'display_name', image: 'image_ref', tenant_id: 'project_id' };
// Columns a regular expression may be matched against, and the ones Stratus keeps as constants.
const REGEX_COLUMNS = [
  'display_name',
  'display_description',
  'hostname',
  'key_name',
  'node',
  'reservation_id',
  'availability_zone',
  'config_drive',
  'access_ip_v4',
  'access_ip_v6',
  'auto_disk_config',
  'progress',
  'launch_index',
  'power_state',
  'kernel_id',
  'ramdisk_id',
  'root_device_name',
  'locked_by',
  'launched_at',
  'terminated_at',
  'created_at',
];
const CONSTANTS: Record<string, string | null> = { kernel_id: '', ramdisk_id: '', progress: '0', locked_by: null };

// API sort keys → columns; keys without a column here sort as equal (Nova's kernel_id, progress… are constant).
const SORT_COLUMNS: Record<string, string | undefined> = {
  access_ip_v4: 'access_ip_v4',
  access_ip_v6: 'access_ip_v6',
  auto_disk_config: 'auto_disk_config',
  availability_zone: 'availability_zone',
  config_drive: 'config_drive',
  created_at: 'created_at',
  display_description: 'display_description',
  display_name: 'display_name',
  host: 'host',
  hostname: 'hostname',
  image_ref: 'image_ref',
  instance_type_id: 'flavor_id',
  key_name: 'key_name',
  launch_index: 'launch_index',
  launched_at: 'launched_at',
  locked_by: 'locked',
  node: 'node',
  power_state: 'power_state',
  project_id: 'project_id',
  root_device_name: 'root_device_name',
  task_state: 'task_state',
  terminated_at: 'terminated_at',
  updated_at: 'updated_at',
  user_id: 'user_id',
  uuid: 'uuid',
  vm_state: 'vm_state',
  locked: 'locked',
};

/** The query string as Nova's validators see it: every parameter a list of its values, in order. */
function queryLists(ctx: ComputeContext): Record<string, string[]> {
  const lists: Record<string, string[]> = {};
  for (const [k, value] of new URLSearchParams(ctx.querystring)) (lists[k] ??= []).push(value);
  return lists;
}

const last = (values: string[] | undefined) => values?.[values.length - 1];

/** Nova's status filter: the vm_states and task_states that show as any of the statuses asked for. */
function statesFor(statuses: string[]): { vm: string[]; task: string[] } {
  const wanted = statuses.map((s) => s.toLowerCase());
  const vm = new Set<string>();
  const task = new Set<string>();
  for (const [state, tasks] of Object.entries(STATE_MAP)) {
    for (const [taskState, status] of Object.entries(tasks)) {
      if (wanted.includes(status.toLowerCase())) {
        vm.add(state);
        task.add(taskState);
      }
    }
  }
  return { vm: [...vm].sort(), task: [...task].sort() };
}

/** Nova's is_all_tenants: present and empty means yes; otherwise a strict boolean. */
function allTenants(value: string | undefined): boolean {
  if (value === undefined) return false;
  return value === '' ? true : strictBool(value);
}

const TIMESTAMPS = ['created_at', 'updated_at', 'launched_at', 'terminated_at', 'deleted_at'];

// How MySQL prints the columns a regular expression reads ('2026-11-25 09:37:29' for a time).
function columnText(row: InstanceRow, column: string): string | null {
  if (column in CONSTANTS) return CONSTANTS[column];
  // A filter names its column at run time; InstanceRow has no index signature.
  const value = (row as unknown as Record<string, string | number | boolean | Date | null | undefined>)[column];
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (TIMESTAMPS.includes(column)) return (value instanceof Date ? value.toISOString() : String(value)).slice(0, 19).replace('T', ' ');
  return String(value);
}

interface Sort {
  keys: string[];
  dirs: Array<'asc' | 'desc'>;
}

/** Nova's get_sort_params, remove_invalid_sort_keys and process_sort_params, in that order. */
function sortOf(ctx: ComputeContext, q: Record<string, string[]>): Sort {
  let keys = (q.sort_key ?? []).map((k) => k.trim());
  let dirs = (q.sort_dir ?? []).map((d) => d.trim());
  if (!keys.length) keys = ['created_at'];
  if (!dirs.length) dirs = ['desc'];
  const ignored = ignoredSortKeys(ctx.state.version);
  for (const key of [...keys]) {
    const at = keys.indexOf(key);
    if (ignored.includes(key)) {
      if (dirs.length > at) dirs.splice(at, 1);
      keys.splice(at, 1);
    } else if ((key === 'host' || key === 'node') && !ctx.state.auth.isAdmin) {
      throw new NovaFault(403, `Only administrators can sort servers by ${key}`);
    }
  }
  for (const dir of dirs) {
    if (dir !== 'asc' && dir !== 'desc') throw badRequest("Invalid input received: Unknown sort direction, must be 'desc' or 'asc'");
  }
  const fallback = (dirs[0] ?? 'desc') as 'asc' | 'desc';
  while (dirs.length < keys.length) dirs.push(fallback);
  if (dirs.length > keys.length) throw badRequest('Invalid input received: Sort direction size exceeds sort key size');
  for (const key of ['created_at', 'uuid']) {
    if (!keys.includes(key)) {
      keys.push(key);
      dirs.push(fallback);
    }
  }
  return { keys, dirs: dirs as Array<'asc' | 'desc'> };
}

/**
 * The sort's keys as columns. Keys without a column (constants in Stratus) sort as equal and are
 * left out; so is a column's repetition, which can never order rows its first use left equal
 * (and would grow the marker's condition with the square of the keys sent).
 */
function sortColumns(sort: Sort): SortColumn[] {
  const columns = new Map<string, SortColumn>();
  sort.keys.forEach((k, n) => {
    const column = SORT_COLUMNS[k];
    if (column && !columns.has(column)) columns.set(column, { column, dir: sort.dirs[n] });
  });
  return [...columns.values()];
}

/** The servers a list shows, one page. `columns` are the ones the view reads; the filters' and sort's are added. */
export async function listServers(s: ComputeServices, ctx: ComputeContext, detail: boolean, columns: string[]): Promise<InstanceRow[]> {
  const v = ctx.state.version;
  const admin = ctx.state.auth.isAdmin;
  const q = queryLists(ctx);
  checkQuery(querySchema(v), q);
  authorize(ctx, `os_compute_api:servers:${detail ? 'detail' : 'index'}`, 'reader');

  // Before 2.75 unknown parameters are dropped; then only admins keep filters beyond the users' list.
  const schema = querySchema(v).properties!;
  const known = Object.fromEntries(Object.entries(q).filter(([k]) => k in schema || k.startsWith('_')));
  const allowed = userFilters(v);
  const opts: Record<string, string> = {};
  for (const [k, values] of Object.entries(known)) {
    if (admin ? !PAGING.includes(k) : allowed.has(k)) opts[k] = last(values)!;
  }
  const bad = Object.keys(opts).find((k) => JOINED_TABLE_FILTERS.includes(k) || k.startsWith('_'));
  if (bad) throw badRequest(`Invalid filter field: ${bad}.`);

  const filters: Record<string, unknown> = { ...opts };
  delete filters.status;
  if (q.status) {
    const states = statesFor(q.status);
    if (!states.vm.length && !states.task.length) {
      if (v.atLeast('2.38')) throw badRequest('Invalid status value');
      return [];
    }
    filters.vm_state = states.vm;
    if (!states.task.includes('default')) filters.task_state = states.task;
  }
  let since: Date | undefined;
  let before: Date | undefined;
  if (opts['changes-since'] !== undefined) since = parseIsoTime(opts['changes-since']);
  if (opts['changes-before'] !== undefined) {
    before = parseIsoTime(opts['changes-before']);
    if (since && before && before < since) throw badRequest('The value of changes-since must be less than or equal to changes-before.');
  }
  // Deleted servers are listed only when asked for, or for changes-since/-before.
  let deleted: boolean | undefined;
  if (opts.deleted !== undefined) deleted = lenientBool(opts.deleted);
  else if (!since && !before) deleted = false;
  const vmStates = filters.vm_state;
  if (Array.isArray(vmStates) && vmStates.length === 1 && vmStates[0] === 'deleted') {
    if (!admin) throw new NovaFault(403, 'Only administrators may list deleted instances');
    deleted = true;
  }
  const tagFilters = v.atLeast('2.26')
    ? Object.fromEntries(['tags', 'tags-any', 'not-tags', 'not-tags-any'].filter((k) => opts[k] !== undefined).map((k) => [k, opts[k].split(',')]))
    : {};
  const everyone = allTenants(opts.all_tenants);
  if (opts.locked !== undefined) filters.locked = strictBool(opts.locked);
  if (everyone) {
    authorize(ctx, `os_compute_api:servers:${detail ? 'detail' : 'index'}:get_all_tenants`, 'admin');
  } else {
    delete filters.tenant_id;
    filters.project_id = ctx.state.project;
  }
  const limitText = last(q.limit);
  const limit = Math.min(MAX_LIMIT, limitText === undefined ? MAX_LIMIT : Number(limitText));
  const marker = last(q.marker);
  const sort = sortOf(ctx, q);

  // compute API get_all: a flavor that does not exist matches nothing; nor does an address (no ports exist).
  let flavorId: string | undefined;
  // A query parameter's value (kept as the last one given).
  const flavorFilter = filters.flavor as string | number | undefined;
  if (flavorFilter !== undefined) {
    const flavor = await findFlavor(s, String(flavorFilter), { isAdmin: admin, projectId: ctx.state.project });
    if (!flavor) return [];
    flavorId = flavor.id;
  }
  if (filters.ip !== undefined || filters.ip6 !== undefined) return [];
  if (limit === 0) return [];

  const where: Record<string | symbol, unknown> = {};
  const regexes: Array<[string, (text: string) => boolean]> = [];
  for (const [name, value] of Object.entries(filters)) {
    const column = ALIASES[name] ?? name;
    if (EXACT.includes(column)) {
      where[column] = Array.isArray(value) ? { [Op.in]: value } : value;
    } else if (REGEX_COLUMNS.includes(column) && typeof value === 'string') {
      regexes.push([column, filterRegex(name, value)]);
    }
  }
  if (flavorId !== undefined) where.flavor_id = flavorId;
  if (deleted === true) where.deleted_at = { [Op.ne]: null };
  if (deleted === false) where.deleted_at = null;
  if (since || before) where.updated_at = { ...(since ? { [Op.gte]: since } : {}), ...(before ? { [Op.lte]: before } : {}) };

  const tagged = Object.keys(tagFilters).length > 0;
  const wanted = new Set([...columns, ...regexes.map(([c]) => c).filter((c) => !(c in CONSTANTS)), ...(tagged ? ['tags'] : [])]);
  const keep =
    regexes.length || tagged
      ? (r: InstanceRow) =>
          regexes.every(([c, matches]) => {
            const text = columnText(r, c);
            return text !== null && matches(text);
          }) &&
          (!tagged || tagsMatch(tagsOf(r), tagFilters))
      : undefined;
  try {
    return await readPage(s.models.Instance, { where, columns: [...wanted], sort: sortColumns(sort), limit, marker, keep });
  } catch (error) {
    if (error instanceof MarkerNotFound) throw badRequest(`marker [${marker}] not found`);
    throw error;
  }
}

function tagsMatch(tags: string[], f: Record<string, string[]>): boolean {
  if (f.tags && !f.tags.every((t) => tags.includes(t))) return false;
  if (f['tags-any'] && !f['tags-any'].some((t) => tags.includes(t))) return false;
  if (f['not-tags'] && f['not-tags'].every((t) => tags.includes(t))) return false;
  if (f['not-tags-any'] && f['not-tags-any'].some((t) => tags.includes(t))) return false;
  return true;
}
