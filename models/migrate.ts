import { Umzug, SequelizeStorage } from 'umzug';
import type { QueryInterface, Sequelize } from 'sequelize';
import * as m0001 from './migrations/0001-runtime.js';
import * as m0002 from './migrations/0002-compute.js';
import * as m0003 from './migrations/0003-identity.js';
import * as m0004 from './migrations/0004-images.js';
import * as m0005 from './migrations/0005-boot-path.js';
import * as m0006 from './migrations/0006-keypairs-flavors.js';
import * as m0007 from './migrations/0007-server-fields.js';
import * as m0008 from './migrations/0008-instance-actions.js';
import * as m0009 from './migrations/0009-quota-reservations.js';
import * as m0012 from './migrations/0012-hypervisor-facts.js';
import * as m0013 from './migrations/0013-nullable-descriptions.js';
import * as m0014 from './migrations/0014-cluster-nodes.js';
import * as m0015 from './migrations/0015-real-hosts.js';
import * as m0016 from './migrations/0016-quota-classes-user-quotas.js';
import * as m0017 from './migrations/0017-placement.js';
import * as m0018 from './migrations/0018-shelved-images.js';
import * as m0019 from './migrations/0019-migrations.js';
import * as m0020 from './migrations/0020-identity-catalog-groups.js';
import * as m0021 from './migrations/0021-identity-app-credentials-limits.js';
import * as m0022 from './migrations/0022-image-tasks.js';
import * as m0023 from './migrations/0023-metadefs.js';
import * as m0024 from './migrations/0024-config-drive.js';
import * as m0025 from './migrations/0025-outbox-due-time.js';
import * as m0027 from './migrations/0027-neutron-networks-ports.js';
import * as m0028 from './migrations/0028-neutron-security-groups.js';
import * as m0029 from './migrations/0029-neutron-routers-floating-ips.js';
import * as m0030 from './migrations/0030-console-auth-tokens.js';
import * as m0031 from './migrations/0031-console-sessions.js';
import * as m0032 from './migrations/0032-instance-ports.js';
import * as m0034 from './migrations/0034-neutron-auto-allocated-topologies.js';
import * as m0036 from './migrations/0036-operator-audit.js';
import * as m0040 from './migrations/0040-dataplanes.js';

export interface Migration {
  up(queryInterface: QueryInterface): Promise<void>;
  down(queryInterface: QueryInterface): Promise<void>;
}

// Listed by hand so the compiled build and the test runner see the same migrations.
export const migrations: Array<[string, Migration]> = [
  ['0001-runtime', m0001],
  ['0002-compute', m0002],
  ['0003-identity', m0003],
  ['0004-images', m0004],
  ['0005-boot-path', m0005],
  ['0006-keypairs-flavors', m0006],
  ['0007-server-fields', m0007],
  ['0008-instance-actions', m0008],
  ['0009-quota-reservations', m0009],
  ['0012-hypervisor-facts', m0012],
  ['0013-nullable-descriptions', m0013],
  ['0014-cluster-nodes', m0014],
  ['0015-real-hosts', m0015],
  ['0016-quota-classes-user-quotas', m0016],
  ['0017-placement', m0017],
  ['0018-shelved-images', m0018],
  ['0019-migrations', m0019],
  ['0020-identity-catalog-groups', m0020],
  ['0021-identity-app-credentials-limits', m0021],
  ['0022-image-tasks', m0022],
  ['0023-metadefs', m0023],
  ['0024-config-drive', m0024],
  ['0025-outbox-due-time', m0025],
  ['0027-neutron-networks-ports', m0027],
  ['0028-neutron-security-groups', m0028],
  ['0029-neutron-routers-floating-ips', m0029],
  ['0030-console-auth-tokens', m0030],
  ['0031-console-sessions', m0031],
  ['0032-instance-ports', m0032],
  ['0034-neutron-auto-allocated-topologies', m0034],
  ['0036-operator-audit', m0036],
  ['0040-dataplanes', m0040],
];

/** Runs the pending migrations, all of them or (`to`, for tests of upgrades) up to and including the one named. */
export async function migrate(sequelize: Sequelize, options: { to?: string } = {}): Promise<string[]> {
  const umzug = new Umzug({
    migrations: migrations.map(([name, m]) => ({
      name,
      up: ({ context }: { context: QueryInterface }) => m.up(context),
      down: ({ context }: { context: QueryInterface }) => m.down(context),
    })),
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize, tableName: 'schema_migrations' }),
    logger: undefined,
  });
  const applied = await umzug.up(options.to ? { to: options.to } : {});
  return applied.map((m) => m.name);
}
