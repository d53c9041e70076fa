import type { QueryInterface } from 'sequelize';
import * as domain from '../identity/domain.js';
import * as project from '../identity/project.js';
import * as user from '../identity/user.js';
import * as role from '../identity/role.js';
import * as assignment from '../identity/assignment.js';
import * as tokenState from '../identity/token-state.js';
import * as ec2 from '../identity/ec2-credential.js';
import { createTables, dropTables, type TableSpec } from './create-table.js';

const specs: TableSpec[] = [
  domain, project, user, role,
  { table: role.impliedTable, attributes: role.impliedAttributes },
  assignment,
  { table: tokenState.keysTable, attributes: tokenState.keyAttributes },
  { table: tokenState.revocationsTable, attributes: tokenState.revocationAttributes },
  ec2,
];

export const up = (qi: QueryInterface) => createTables(qi, specs);
export const down = (qi: QueryInterface) => dropTables(qi, specs);
