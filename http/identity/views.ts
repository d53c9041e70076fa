import type { DomainRow, EndpointRow, GroupRow, ProjectRow, RegionRow, RoleRow, ServiceRow, UserRow } from '../../models/index.js';
import { dbBool as bool } from '../db-values.js';

// The JSON shapes Keystone answers with; `base` is the /v3 URL clients reached.

const links = (base: string, path: string) => ({ self: `${base}/${path}` });

export const domainView = (base: string, d: DomainRow) => ({
  id: d.id,
  name: d.name,
  description: d.description,
  enabled: bool(d.enabled),
  tags: [],
  options: {},
  links: links(base, `domains/${d.id}`),
});

export const projectView = (base: string, p: ProjectRow) => ({
  id: p.id,
  name: p.name,
  domain_id: p.domain_id,
  description: p.description,
  enabled: bool(p.enabled),
  parent_id: p.parent_id ?? p.domain_id,
  is_domain: false,
  tags: [],
  options: {},
  links: links(base, `projects/${p.id}`),
});

export const userView = (base: string, u: UserRow) => ({
  id: u.id,
  name: u.name,
  domain_id: u.domain_id,
  enabled: bool(u.enabled),
  // Keystone keeps a user's description among its extras: one never given is not shown.
  ...(u.description !== null ? { description: u.description } : {}),
  ...(u.email ? { email: u.email } : {}),
  ...(u.default_project_id ? { default_project_id: u.default_project_id } : {}),
  password_expires_at: null,
  options: {},
  links: links(base, `users/${u.id}`),
});

export const roleView = (base: string, r: RoleRow) => ({
  id: r.id,
  name: r.name,
  domain_id: null,
  description: r.description,
  options: {},
  links: links(base, `roles/${r.id}`),
});

/** A collection; `truncated` when Keystone's list_limit cut it, as Keystone marks it. */
export const list = (base: string, path: string, key: string, items: unknown[], truncated = false) => ({
  [key]: items,
  links: { self: `${base}/${path}`, previous: null, next: null },
  ...(truncated ? { truncated: true } : {}),
});

export const isEnabled = bool;

export const regionView = (base: string, r: RegionRow) => ({
  id: r.id,
  description: r.description,
  parent_region_id: r.parent_region_id,
  links: links(base, `regions/${r.id}`),
});

// Keystone keeps a service's name and description among its extras: ones never given are not shown.
export const serviceView = (base: string, s: ServiceRow) => ({
  id: s.id,
  type: s.type,
  ...(s.name !== null ? { name: s.name } : {}),
  ...(s.description !== null ? { description: s.description } : {}),
  enabled: bool(s.enabled),
  links: links(base, `services/${s.id}`),
});

export const endpointView = (base: string, e: EndpointRow) => ({
  id: e.id,
  interface: e.interface,
  region_id: e.region_id,
  region: e.region_id,
  service_id: e.service_id,
  url: e.url,
  enabled: bool(e.enabled),
  links: links(base, `endpoints/${e.id}`),
});

export const groupView = (base: string, g: GroupRow) => ({
  id: g.id,
  name: g.name,
  domain_id: g.domain_id,
  description: g.description ?? '',
  links: links(base, `groups/${g.id}`),
});
