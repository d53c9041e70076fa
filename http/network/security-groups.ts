import { randomUUID } from 'node:crypto';
import { Op, type Transaction } from 'sequelize';
import type { NeutronSecurityGroupRow } from '../../models/index.js';
import { readByPk, readRows } from '../../models/typed.js';
import type { AuthContext } from '../identity/index.js';
import { conflict, notFound } from './errors.js';
import { reads } from './policy.js';
import { initialRules, ruleRow } from './security-group-rules.js';
import type { NetworkServices } from './services.js';

export const groupNotFound = (id: string) => notFound('SecurityGroupNotFound', `Security group ${id} does not exist`);

/** A group with its rules, made in the caller's transaction. */
export async function createGroup(
  s: NetworkServices,
  project: string,
  fields: { name: string; description: string; stateful: boolean },
  isDefault: boolean,
  at: Date,
  transaction: Transaction,
): Promise<NeutronSecurityGroupRow> {
  const group: NeutronSecurityGroupRow = { id: randomUUID(), project_id: project, ...fields, revision_number: 1, created_at: at, updated_at: at };
  await s.models.NeutronSecurityGroup.create(group, { transaction });
  await s.models.NeutronSecurityGroupRule.bulkCreate(
    initialRules(group.id, isDefault).map((r) => ruleRow(project, r, at)),
    { transaction },
  );
  return group;
}

/**
 * The project's `default` group, made on first use with Neutron's default rules. Called inside a transaction
 * serialized on the project, and its row keyed by project, so two first uses never make two.
 */
export async function ensureDefaultGroup(s: NetworkServices, project: string, at: Date, transaction: Transaction): Promise<string> {
  const known = await readByPk(s.models.NeutronDefaultSecurityGroup, project, { transaction });
  if (known) return known.security_group_id;
  const group = await createGroup(s, project, { name: 'default', description: 'Default security group', stateful: true }, true, at, transaction);
  await s.models.NeutronDefaultSecurityGroup.create({ project_id: project, security_group_id: group.id }, { transaction });
  return group.id;
}

export const isDefaultGroup = async (s: NetworkServices, id: string, transaction?: Transaction) =>
  (await s.models.NeutronDefaultSecurityGroup.count({ where: { security_group_id: id }, transaction })) > 0;

/** A group the caller sees (its project's, or any for an admin), or Neutron's 404. */
export async function findGroup(s: NetworkServices, auth: AuthContext, id: string, transaction?: Transaction): Promise<NeutronSecurityGroupRow> {
  const row = await readByPk(s.models.NeutronSecurityGroup, id, { transaction });
  if (!row || !reads(auth, row.project_id)) throw groupNotFound(id);
  return row;
}

/**
 * The security groups a port gets: none without port security or on a network device (DHCP, router); the asked-for
 * groups, each of the port's project; else the project's default group.
 */
export async function portSecurityGroups(
  s: NetworkServices,
  auth: AuthContext,
  project: string,
  portSecurity: boolean,
  deviceOwner: string,
  asked: readonly string[] | undefined,
  at: Date,
  transaction: Transaction,
): Promise<string[]> {
  if (!portSecurity && asked?.length) {
    throw conflict(
      'PortSecurityAndIPRequiredForSecurityGroups',
      'Port security must be enabled and port must have an IP address in order to use security groups.',
    );
  }
  if (!portSecurity || deviceOwner.startsWith('network:')) return [];
  if (asked === undefined) return [await ensureDefaultGroup(s, project, at, transaction)];
  const unique = [...new Set(asked)];
  const found = await readRows(s.models.NeutronSecurityGroup, { attributes: ['id', 'project_id'], where: { id: { [Op.in]: unique } }, transaction });
  for (const id of unique) {
    const g = found.find((f) => f.id === id);
    if (!g || (g.project_id !== project && !auth.isAdmin)) throw groupNotFound(id);
  }
  return unique;
}
