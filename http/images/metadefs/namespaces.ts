import { Op } from 'sequelize';
import type { MetadefEntryRow, MetadefNamespaceRow, Models } from '../../../models/index.js';
import { readRow, readRows } from '../../../models/typed.js';
import { charLength } from '../../../runtime/chars.js';
import { dbBool } from '../../db-values.js';
import type { AuthContext } from '../../identity/index.js';
import { GlanceError } from '../errors.js';
import { iso } from '../views.js';

// Who may do what with metadata definitions (Glance's secure-RBAC defaults: reading takes the reader role and a
// public or own namespace; every change is the admin's), finding a namespace, and the views of what it holds.

export type Kind = MetadefEntryRow['kind'];

const WRITE_ACTIONS = new Set([
  'add_metadef_namespace',
  'modify_metadef_namespace',
  'delete_metadef_namespace',
  'add_metadef_object',
  'modify_metadef_object',
  'delete_metadef_object',
  'add_metadef_property',
  'modify_metadef_property',
  'remove_metadef_property',
  'add_metadef_tag',
  'add_metadef_tags',
  'modify_metadef_tag',
  'delete_metadef_tag',
  'add_metadef_resource_type_association',
  'remove_metadef_resource_type_association',
]);

export function authorizeMetadef(auth: AuthContext, action: string): void {
  if (auth.isAdmin) return;
  if (WRITE_ACTIONS.has(action) || !auth.projectId || !auth.roles.includes('reader'))
    throw new GlanceError(403, `You are not authorized to complete ${action} action.`);
}

export const visibleTo = (auth: AuthContext, ns: MetadefNamespaceRow) => auth.isAdmin || ns.visibility === 'public' || ns.owner === auth.projectId;

/** The namespace if the caller may see it; Glance's 404 otherwise (whether it exists or not). */
export async function findNamespace(models: Models, auth: AuthContext, name: string): Promise<MetadefNamespaceRow> {
  const ns = await readRow(models.MetadefNamespace, { where: { namespace: name } });
  if (!ns || !visibleTo(auth, ns)) throw new GlanceError(404, `Metadata definition namespace=${name} was not found.`);
  return ns;
}

export const entriesOf = (models: Models, namespace: string, kind?: Kind) =>
  readRows(models.MetadefEntry, { where: { namespace, ...(kind ? { kind } : {}) }, order: [['name', 'ASC']] });

export const associationsOf = async (models: Models, namespaces: string[]) =>
  namespaces.length
    ? readRows(models.MetadefEntry, { where: { namespace: { [Op.in]: namespaces }, kind: 'association' }, order: [['name', 'ASC']] })
    : [];

const body = (e: MetadefEntryRow) => JSON.parse(e.body) as Record<string, unknown>;
const times = (r: { created_at: Date; updated_at: Date }) => ({ created_at: iso(r.created_at), updated_at: iso(r.updated_at) });
const present = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
const nsPath = (ns: string) => `/v2/metadefs/namespaces/${ns}`;

export const associationView = (e: MetadefEntryRow) => present({ name: e.name, ...body(e), ...times(e) });
export const propertyView = (e: MetadefEntryRow, prefix = '') => ({ name: `${prefix}${e.name}`, ...body(e) });
export const tagView = (e: MetadefEntryRow) => ({ name: e.name, ...times(e) });

export function objectView(e: MetadefEntryRow, prefix = '') {
  const b = body(e) as { description?: string; required?: string[]; properties?: Record<string, unknown> };
  return present({
    name: e.name,
    description: b.description,
    required: (b.required ?? []).map((r) => `${prefix}${r}`),
    properties: Object.fromEntries(Object.entries(b.properties ?? {}).map(([k, v]) => [`${prefix}${k}`, v])),
    ...times(e),
    self: `${nsPath(e.namespace)}/objects/${e.name}`,
    schema: '/v2/schemas/metadefs/object',
  });
}

export function namespaceView(ns: MetadefNamespaceRow, associations: MetadefEntryRow[]) {
  return present({
    namespace: ns.namespace,
    display_name: ns.display_name,
    description: ns.description,
    visibility: ns.visibility,
    protected: dbBool(ns.protected),
    owner: ns.owner,
    ...times(ns),
    self: nsPath(ns.namespace),
    schema: '/v2/schemas/metadefs/namespace',
    ...(associations.length ? { resource_type_associations: associations.map(associationView) } : {}),
  });
}

/** A namespace with all it holds, its properties and objects' names prefixed as the resource type asked for says. */
export async function namespaceDetail(models: Models, ns: MetadefNamespaceRow, resourceType?: string) {
  const entries = await entriesOf(models, ns.namespace);
  const of = (kind: Kind) => entries.filter((e) => e.kind === kind);
  const associations = of('association');
  const prefix = resourceType
    ? ((body(associations.find((a) => a.name === resourceType) ?? ({ body: '{}' } as MetadefEntryRow)).prefix as string) ?? '')
    : '';
  const properties = of('property');
  const objects = of('object');
  const tags = of('tag');
  return {
    ...namespaceView(ns, associations),
    ...(properties.length ? { properties: Object.fromEntries(properties.map((p) => [`${prefix}${p.name}`, body(p)])) } : {}),
    ...(objects.length ? { objects: objects.map((o) => objectView(o, prefix)) } : {}),
    ...(tags.length ? { tags: tags.map(tagView) } : {}),
  };
}

/** Glance's checks of a request body's name-like field. */
export function nameOf(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || charLength(value) > max)
    throw new GlanceError(400, `Invalid value for '${field}': expected a string of 1 to ${max} characters`);
  return value;
}

const TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];

/** A property definition as Glance's property schema takes it: a title and a JSON type, the rest free. */
export function propertySchema(input: unknown, where = 'property'): Record<string, unknown> {
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw new GlanceError(400, `Invalid ${where}: expected an object`);
  const { name: _name, ...schema } = input as Record<string, unknown>;
  if (typeof schema.title !== 'string') throw new GlanceError(400, `Invalid ${where}: 'title' is a required property`);
  if (!TYPES.includes(schema.type as string)) throw new GlanceError(400, `Invalid ${where}: 'type' must be one of ${TYPES.join(', ')}`);
  return schema;
}

/** An object definition: a name, an optional description, required names and its properties. */
export function objectBody(input: unknown): { name: string; body: Record<string, unknown> } {
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw new GlanceError(400, 'Body expected in request.');
  const o = input as Record<string, unknown>;
  const name = nameOf(o.name, 'name', 255);
  if (o.description !== undefined && typeof o.description !== 'string')
    throw new GlanceError(400, "Invalid value for 'description': expected a string");
  if (o.required !== undefined && (!Array.isArray(o.required) || o.required.some((r) => typeof r !== 'string')))
    throw new GlanceError(400, "Invalid value for 'required': expected a list of strings");
  const properties = o.properties ?? {};
  if (typeof properties !== 'object' || Array.isArray(properties)) throw new GlanceError(400, "Invalid value for 'properties': expected an object");
  const checked = Object.fromEntries(
    Object.entries(properties).map(([k, v]) => [nameOf(k, 'property name', 255), propertySchema(v, `property ${k}`)]),
  );
  return { name, body: present({ description: o.description, required: o.required ?? [], properties: checked }) };
}
