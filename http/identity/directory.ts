import { Op, literal } from 'sequelize';
import type { AssignmentRow, DomainRow, Models, ProjectRow, RoleRow } from '../../models/index.js';
import { readByPk, readRow, readRows } from '../../models/typed.js';
import type { Clock } from '../../runtime/clock.js';
import { table as assignmentsTable } from '../../models/identity/assignment.js';
import { table as projectsTable } from '../../models/identity/project.js';
import { assignmentsTable as groupAssignmentsTable, membersTable } from '../../models/identity/group.js';
import { TtlCache } from './ttl-cache.js';

/** Reads of the identity tables that several routes share, with roles and their implications cached. */
export class Directory {
  private roleCache: { byId: Map<string, RoleRow>; implies: Map<string, string[]> } | undefined;
  /** Bumped on every identity write on this node, so cached token views are rebuilt. */
  generation = 0;

  // Rows read on every authentication are cached for a second (see TtlCache).
  private readonly rows: TtlCache<unknown>;

  constructor(
    readonly models: Models,
    clock: Clock,
  ) {
    this.rows = new TtlCache(clock, () => this.generation);
  }

  changed(): void {
    this.generation++;
    this.roleCache = undefined;
  }

  domain = (id: string) => this.one(`d/${id}`, () => readByPk(this.models.Domain, id));
  domainByName = (name: string) => this.one(`dn/${name}`, () => readRow(this.models.Domain, { where: { name } }));
  project = (id: string) => this.one(`p/${id}`, () => readByPk(this.models.Project, id));
  projectByName = (name: string, domainId: string) =>
    this.one(`pn/${domainId}/${name}`, () => readRow(this.models.Project, { where: { name, domain_id: domainId } }));
  user = (id: string) => this.one(`u/${id}`, () => readByPk(this.models.User, id));
  applicationCredential = (id: string) => this.one(`ac/${id}`, () => readByPk(this.models.ApplicationCredential, id));
  userByName = (name: string, domainId: string) =>
    this.one(`un/${domainId}/${name}`, () => readRow(this.models.User, { where: { name, domain_id: domainId } }));

  async roles(): Promise<{ byId: Map<string, RoleRow>; implies: Map<string, string[]> }> {
    if (this.roleCache) return this.roleCache;
    const roles = await readRows(this.models.Role);
    const rules = await readRows(this.models.ImpliedRole);
    const implies = new Map<string, string[]>();
    for (const r of rules) implies.set(r.prior_role_id, [...(implies.get(r.prior_role_id) ?? []), r.implied_role_id]);
    return (this.roleCache = { byId: new Map(roles.map((r) => [r.id, r])), implies });
  }

  /** The roles given plus every role they imply (admin ⊃ member ⊃ reader). */
  async expand(roleIds: Iterable<string>): Promise<RoleRow[]> {
    const { byId, implies } = await this.roles();
    const seen = new Set<string>();
    const visit = (id: string) => {
      if (seen.has(id)) return;
      seen.add(id);
      for (const next of implies.get(id) ?? []) visit(next);
    };
    for (const id of roleIds) visit(id);
    return [...seen].map((id) => byId.get(id)).filter((r): r is RoleRow => !!r);
  }

  async assignments(where: Partial<AssignmentRow>): Promise<AssignmentRow[]> {
    return readRows(this.models.Assignment, { where });
  }

  /** The ids of the groups the user is a member of (cached like the other rows read on every authentication). */
  groupsOf = (userId: string) =>
    this.rows.through(`g/${userId}`, async () =>
      (await readRows(this.models.GroupMember, { where: { user_id: userId }, attributes: ['group_id'] })).map((m) => m.group_id),
    ) as Promise<string[]>;

  /** The role ids a user holds on a target, directly and through their groups, implied ones not yet added. */
  async heldRoles(userId: string, target: { type: 'project' | 'domain'; id: string }): Promise<string[]> {
    const direct = await this.assignments({ user_id: userId, target_type: target.type, target_id: target.id });
    const groups = await this.groupsOf(userId);
    const viaGroups = groups.length
      ? await readRows(this.models.GroupAssignment, {
          where: { group_id: { [Op.in]: groups }, target_type: target.type, target_id: target.id },
          attributes: ['role_id'],
        })
      : [];
    return [...direct, ...viaGroups].map((a) => a.role_id);
  }

  /** Effective roles of a user on a project or domain: their own, their groups', and every role those imply. */
  async effectiveRoles(userId: string, target: { type: 'project' | 'domain'; id: string }): Promise<RoleRow[]> {
    return this.rows.through(`r/${userId}/${target.type}/${target.id}`, async () => this.expand(await this.heldRoles(userId, target))) as Promise<
      RoleRow[]
    >;
  }

  /** The ids of the projects or domains where the user holds a role, directly or through a group, as a subquery (no rows read here). */
  assignmentTargets(userId: string, type: 'project' | 'domain') {
    const q = this.models.Assignment.sequelize!;
    const quote = (table: string) => q.getQueryInterface().quoteIdentifier(table);
    const [user, kind] = [q.escape(userId), q.escape(type)];
    return literal(
      `(SELECT target_id FROM ${quote(assignmentsTable)} WHERE user_id = ${user} AND target_type = ${kind}` +
        ` UNION SELECT target_id FROM ${quote(groupAssignmentsTable)} WHERE target_type = ${kind}` +
        ` AND group_id IN (SELECT group_id FROM ${quote(membersTable)} WHERE user_id = ${user}))`,
    );
  }

  /** The ids of the domains of the projects where the user holds a role, as a subquery. */
  domainsOfProjectsOf(userId: string) {
    const q = this.models.Assignment.sequelize!;
    return literal(
      `(SELECT domain_id FROM ${q.getQueryInterface().quoteIdentifier(projectsTable)} WHERE id IN ${
        // Sequelize's typings keep a literal's text private; it is the subquery written just above.
        (this.assignmentTargets(userId, 'project') as unknown as { val: string }).val
      })`,
    );
  }

  /** Projects where the user holds any role, directly or through a group. */
  async projectsOf(userId: string): Promise<ProjectRow[]> {
    return readRows(this.models.Project, { where: { id: { [Op.in]: this.assignmentTargets(userId, 'project') } }, order: [['name', 'ASC']] });
  }

  async domainsOf(userId: string): Promise<DomainRow[]> {
    return readRows(this.models.Domain, { where: { id: { [Op.in]: this.assignmentTargets(userId, 'domain') } } });
  }

  private async one<T>(key: string, query: () => Promise<T | null>): Promise<T | undefined> {
    return ((await this.rows.through(key, query)) as T | null) ?? undefined;
  }
}
